//! Browser fingerprints: a coherent profile derived from (user id, rotation window,
//! secret). The OS family decides platform, user agent, fonts, GPU and screen sizes, so a
//! Mac user agent never comes with Windows fonts or a Windows one with an Apple GPU.
//! Identical within a window, different in the next.

use serde::Serialize;

use crate::platform::crypto::sha256;
use crate::platform::rng::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Os {
    Windows,
    Macos,
    Linux,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Screen {
    pub width: u32,
    pub height: u32,
    pub color_depth: u32,
    pub pixel_ratio: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Webgl {
    pub vendor: String,
    pub renderer: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fingerprint {
    pub os: Os,
    pub browser: &'static str,
    pub user_agent: String,
    pub platform: &'static str,
    pub languages: Vec<&'static str>,
    pub timezone: String,
    pub screen: Screen,
    pub hardware_concurrency: u32,
    /// `navigator.deviceMemory` (Chromium only; `null` elsewhere).
    pub device_memory: Option<u32>,
    pub webgl: Webgl,
    pub canvas_noise_seed: u32,
    pub audio_noise_seed: u32,
    pub fonts: Vec<&'static str>,
    pub window_index: i64,
}

const WINDOWS_FONTS: &[&str] = &[
    "Arial",
    "Calibri",
    "Cambria",
    "Candara",
    "Consolas",
    "Constantia",
    "Corbel",
    "Courier New",
    "Georgia",
    "Lucida Console",
    "Segoe UI",
    "Segoe UI Emoji",
    "Tahoma",
    "Times New Roman",
    "Trebuchet MS",
    "Verdana",
];
const MAC_FONTS: &[&str] = &[
    "Arial",
    "Avenir",
    "Avenir Next",
    "Courier New",
    "Geneva",
    "Georgia",
    "Helvetica",
    "Helvetica Neue",
    "Lucida Grande",
    "Menlo",
    "Monaco",
    "Optima",
    "Palatino",
    "SF Pro",
    "Times New Roman",
    "Apple Color Emoji",
];
const LINUX_FONTS: &[&str] = &[
    "Cantarell",
    "DejaVu Sans",
    "DejaVu Sans Mono",
    "DejaVu Serif",
    "Liberation Mono",
    "Liberation Sans",
    "Liberation Serif",
    "Noto Color Emoji",
    "Noto Sans",
    "Noto Serif",
    "Ubuntu",
    "Ubuntu Mono",
];

/// Fonts that only ship with one OS family (the coherence tests check against these).
pub const WINDOWS_ONLY_FONTS: &[&str] = &[
    "Calibri",
    "Cambria",
    "Candara",
    "Consolas",
    "Segoe UI",
    "Segoe UI Emoji",
    "Tahoma",
];
pub const MAC_ONLY_FONTS: &[&str] = &[
    "Avenir",
    "Avenir Next",
    "Geneva",
    "Helvetica Neue",
    "Lucida Grande",
    "Menlo",
    "Monaco",
    "SF Pro",
    "Apple Color Emoji",
];

const WINDOWS_GPUS: &[(&str, &str)] = &[
    (
        "NVIDIA",
        "NVIDIA GeForce RTX 3060 (0x00002504) Direct3D11 vs_5_0 ps_5_0, D3D11",
    ),
    (
        "NVIDIA",
        "NVIDIA GeForce GTX 1650 (0x00001F82) Direct3D11 vs_5_0 ps_5_0, D3D11",
    ),
    (
        "AMD",
        "AMD Radeon RX 6600 (0x000073FF) Direct3D11 vs_5_0 ps_5_0, D3D11",
    ),
    (
        "Intel",
        "Intel(R) UHD Graphics 770 (0x00004680) Direct3D11 vs_5_0 ps_5_0, D3D11",
    ),
    (
        "Intel",
        "Intel(R) Iris(R) Xe Graphics (0x00009A49) Direct3D11 vs_5_0 ps_5_0, D3D11",
    ),
];
const MAC_GPUS: &[(&str, &str)] = &[
    (
        "Apple",
        "ANGLE Metal Renderer: Apple M1, Unspecified Version",
    ),
    (
        "Apple",
        "ANGLE Metal Renderer: Apple M2, Unspecified Version",
    ),
    (
        "Apple",
        "ANGLE Metal Renderer: Apple M3 Pro, Unspecified Version",
    ),
];
const LINUX_GPUS: &[(&str, &str)] = &[
    (
        "Intel",
        "Mesa Intel(R) UHD Graphics 620 (KBL GT2), OpenGL 4.6",
    ),
    (
        "AMD",
        "AMD Radeon Graphics (radeonsi, renoir, LLVM 17.0.6, DRM 3.57), OpenGL 4.6",
    ),
    (
        "NVIDIA",
        "NVIDIA GeForce GTX 1660 SUPER/PCIe/SSE2, OpenGL 4.6.0",
    ),
];

const WINDOWS_SCREENS: &[(u32, u32, f32)] = &[
    (1920, 1080, 1.0),
    (1366, 768, 1.0),
    (2560, 1440, 1.0),
    (1536, 864, 1.25),
    (1920, 1200, 1.0),
];
const MAC_SCREENS: &[(u32, u32, f32)] = &[
    (1440, 900, 2.0),
    (1512, 982, 2.0),
    (1728, 1117, 2.0),
    (1470, 956, 2.0),
    (2560, 1440, 1.0),
];
const LINUX_SCREENS: &[(u32, u32, f32)] = &[(1920, 1080, 1.0), (2560, 1440, 1.0), (1366, 768, 1.0)];

/// What an OS family brings: fonts, GPUs, screens, `navigator.platform`, core counts.
struct OsProfile {
    fonts: &'static [&'static str],
    gpus: &'static [(&'static str, &'static str)],
    screens: &'static [(u32, u32, f32)],
    platform: &'static str,
    cores: &'static [u32],
}

const WINDOWS: OsProfile = OsProfile {
    fonts: WINDOWS_FONTS,
    gpus: WINDOWS_GPUS,
    screens: WINDOWS_SCREENS,
    platform: "Win32",
    cores: &[4, 6, 8, 12, 16],
};
const MACOS: OsProfile = OsProfile {
    fonts: MAC_FONTS,
    gpus: MAC_GPUS,
    screens: MAC_SCREENS,
    platform: "MacIntel",
    cores: &[8, 10, 12],
};
const LINUX: OsProfile = OsProfile {
    fonts: LINUX_FONTS,
    gpus: LINUX_GPUS,
    screens: LINUX_SCREENS,
    platform: "Linux x86_64",
    cores: &[4, 8, 12, 16],
};

const CHROME_VERSIONS: &[u32] = &[138, 139, 140, 141, 142];
const FIREFOX_VERSIONS: &[u32] = &[141, 142, 143, 144];
const SAFARI_VERSIONS: &[&str] = &["18.5", "18.6", "26.0", "26.1"];

/// Derives the fingerprint of `user_id` for rotation window `window_index`.
pub fn derive(user_id: &str, window_index: i64, secret: &[u8], timezone: &str) -> Fingerprint {
    let digest = sha256(
        &[
            secret,
            b"\x00fingerprint\x00",
            user_id.as_bytes(),
            &window_index.to_be_bytes(),
        ]
        .concat(),
    );
    let mut seed = [0u8; 8];
    seed.copy_from_slice(&digest[..8]);
    let mut rng = Rng::new(u64::from_be_bytes(seed));

    let os = match rng.range(0, 99) {
        0..=64 => Os::Windows,
        65..=84 => Os::Macos,
        _ => Os::Linux,
    };
    let profile = match os {
        Os::Windows => &WINDOWS,
        Os::Macos => &MACOS,
        Os::Linux => &LINUX,
    };
    let browser = match (os, rng.range(0, 99)) {
        (Os::Macos, 0..=34) => "safari",
        (Os::Windows, 0..=11) => "edge",
        (_, 80..=99) => "firefox",
        _ => "chrome",
    };
    let os_token = match os {
        Os::Windows => "Windows NT 10.0; Win64; x64",
        Os::Macos => "Macintosh; Intel Mac OS X 10_15_7",
        Os::Linux => "X11; Linux x86_64",
    };
    let user_agent = match browser {
        "firefox" => {
            let v = rng.pick(FIREFOX_VERSIONS);
            format!("Mozilla/5.0 ({os_token}; rv:{v}.0) Gecko/20100101 Firefox/{v}.0")
        }
        "safari" => {
            let v = rng.pick(SAFARI_VERSIONS);
            format!("Mozilla/5.0 ({os_token}) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{v} Safari/605.1.15")
        }
        b => {
            let v = rng.pick(CHROME_VERSIONS);
            let edge = if b == "edge" {
                format!(" Edg/{v}.0.0.0")
            } else {
                String::new()
            };
            format!("Mozilla/5.0 ({os_token}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36{edge}")
        }
    };
    let (gpu_vendor, gpu_renderer) = *rng.pick(profile.gpus);
    let webgl = match browser {
        "firefox" => Webgl {
            vendor: "Mozilla".into(),
            renderer: firefox_renderer(os, gpu_vendor),
        },
        "safari" => Webgl {
            vendor: "Apple Inc.".into(),
            renderer: "Apple GPU".into(),
        },
        _ => Webgl {
            vendor: format!("Google Inc. ({gpu_vendor})"),
            renderer: format!("ANGLE ({gpu_vendor}, {gpu_renderer})"),
        },
    };
    let (width, height, pixel_ratio) = *rng.pick(profile.screens);
    // Each machine has most of its OS's fonts, never another OS's exclusive ones.
    let fonts: Vec<&str> = profile
        .fonts
        .iter()
        .copied()
        .filter(|_| rng.range(0, 9) < 8)
        .collect();
    let languages = match rng.range(0, 9) {
        0..=6 => vec!["en-US", "en"],
        7 => vec!["en-GB", "en"],
        _ => vec!["en-US", "en", "es"],
    };
    Fingerprint {
        os,
        browser,
        user_agent,
        platform: profile.platform,
        languages,
        timezone: timezone.to_string(),
        screen: Screen {
            width,
            height,
            color_depth: if os == Os::Macos { 30 } else { 24 },
            pixel_ratio,
        },
        hardware_concurrency: *rng.pick(profile.cores),
        device_memory: matches!(browser, "chrome" | "edge").then(|| *rng.pick(&[4u32, 8])),
        webgl,
        canvas_noise_seed: rng.next_u64() as u32,
        audio_noise_seed: rng.next_u64() as u32,
        fonts,
        window_index,
    }
}

fn firefox_renderer(os: Os, vendor: &str) -> String {
    match (os, vendor) {
        (Os::Macos, _) => "Apple M1, or similar".into(),
        (_, "NVIDIA") => "NVIDIA GeForce GTX 980, or similar".into(),
        (_, "AMD") => "Radeon R9 200 Series, or similar".into(),
        _ => "Intel(R) HD Graphics 400, or similar".into(),
    }
}

/// The rotation window of `unix_ms` for windows of `minutes`, and when it ends (ms).
pub fn window(unix_ms: i64, minutes: u32) -> (i64, i64) {
    let len = i64::from(minutes.max(1)) * 60_000;
    let index = unix_ms.div_euclid(len);
    (index, (index + 1) * len)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"test-secret";

    fn sample() -> Vec<Fingerprint> {
        (0..300)
            .map(|i| derive(&format!("user-{i}"), i64::from(i % 7), SECRET, "UTC"))
            .collect()
    }

    #[test]
    fn deterministic_within_a_window() {
        assert_eq!(
            derive("u1", 42, SECRET, "UTC"),
            derive("u1", 42, SECRET, "UTC")
        );
    }

    #[test]
    fn changes_across_windows_and_users_and_secrets() {
        for i in 0..50 {
            let u = format!("user-{i}");
            let a = derive(&u, 100, SECRET, "UTC");
            let b = derive(&u, 101, SECRET, "UTC");
            assert_ne!(a.canvas_noise_seed, b.canvas_noise_seed, "{u}");
            assert_ne!(a, b);
        }
        assert_ne!(derive("a", 1, SECRET, "UTC"), derive("b", 1, SECRET, "UTC"));
        assert_ne!(
            derive("a", 1, SECRET, "UTC"),
            derive("a", 1, b"other", "UTC")
        );
    }

    #[test]
    fn no_windows_fonts_on_a_mac_and_no_mac_fonts_on_windows() {
        for fp in sample() {
            match fp.os {
                Os::Macos => assert!(
                    !fp.fonts.iter().any(|f| WINDOWS_ONLY_FONTS.contains(f)),
                    "{fp:?}"
                ),
                Os::Windows => assert!(
                    !fp.fonts.iter().any(|f| MAC_ONLY_FONTS.contains(f)),
                    "{fp:?}"
                ),
                Os::Linux => assert!(!fp
                    .fonts
                    .iter()
                    .any(|f| WINDOWS_ONLY_FONTS.contains(f) || MAC_ONLY_FONTS.contains(f))),
            }
        }
    }

    #[test]
    fn gpu_platform_and_user_agent_agree_with_the_os() {
        let mut seen = std::collections::HashSet::new();
        for fp in sample() {
            seen.insert(fp.os);
            let gpu = format!("{} {}", fp.webgl.vendor, fp.webgl.renderer);
            match fp.os {
                Os::Windows => {
                    assert!(!gpu.contains("Apple"), "{gpu}");
                    assert_eq!(fp.platform, "Win32");
                    assert!(fp.user_agent.contains("Windows NT"));
                    assert_ne!(fp.browser, "safari");
                    assert_eq!(fp.screen.color_depth, 24);
                }
                Os::Macos => {
                    assert!(
                        !gpu.contains("Direct3D") && !gpu.contains("NVIDIA"),
                        "{gpu}"
                    );
                    assert_eq!(fp.platform, "MacIntel");
                    assert!(fp.user_agent.contains("Mac OS X"));
                    assert_ne!(fp.browser, "edge");
                }
                Os::Linux => {
                    assert!(!gpu.contains("Apple") && !gpu.contains("Direct3D"), "{gpu}");
                    assert!(fp.user_agent.contains("Linux"));
                }
            }
            match fp.browser {
                "firefox" => {
                    assert!(fp.user_agent.contains("Firefox/") && fp.device_memory.is_none())
                }
                "safari" => {
                    assert!(fp.user_agent.contains("Version/") && !fp.user_agent.contains("Chrome"))
                }
                _ => assert!(fp.user_agent.contains("Chrome/") && fp.device_memory.is_some()),
            }
            assert!(fp.fonts.len() >= 5);
            assert!(fp.hardware_concurrency >= 4);
        }
        assert_eq!(seen.len(), 3, "all OS families occur");
    }

    #[test]
    fn windows_are_aligned() {
        assert_eq!(window(0, 30), (0, 1_800_000));
        assert_eq!(window(1_800_000, 30), (1, 3_600_000));
        assert_eq!(window(1_799_999, 30), (0, 1_800_000));
    }
}
