//! The five products. Each module registers its routes in `routes.rs`.

pub mod os;
pub mod phantom;
pub mod suiftly;
