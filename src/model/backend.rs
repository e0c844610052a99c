//! The one place that names the compute backend. `flex` (pure-Rust CPU) by default; the
//! `ndarray` cargo feature builds the same code on burn-ndarray.

use burn::prelude::Device;

/// Human-readable backend name (for reports and `--json` output).
#[cfg(not(feature = "ndarray"))]
pub const BACKEND_NAME: &str = "flex";
#[cfg(feature = "ndarray")]
pub const BACKEND_NAME: &str = "ndarray";

/// The device inference runs on.
#[cfg(not(feature = "ndarray"))]
pub fn inference_device() -> Device {
    Device::flex()
}

/// The device inference runs on.
#[cfg(feature = "ndarray")]
#[allow(deprecated)] // burn 0.22 deprecates burn-ndarray; this feature exists to compare with it
pub fn inference_device() -> Device {
    Device::ndarray()
}

/// The device training runs on: the inference device with autodiff.
pub fn training_device() -> Device {
    inference_device().autodiff()
}
