//! Phantom (SPEC §3, seed 000): personas, browsing plans, decoy noise events a browser
//! extension polls, rotating browser fingerprints, fake form data, and the per-user
//! scheduler loops that keep the noise coming.

pub mod fingerprint;
pub mod noise;
pub mod personas;
pub mod plans;
pub mod profile;
pub mod scheduler;
pub mod settings;
pub mod status;
