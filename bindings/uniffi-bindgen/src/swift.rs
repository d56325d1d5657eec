//! `uniffi-bindgen-swift`: Swift sources, C header and module map for SwiftPM or Xcode.

fn main() {
    uniffi::uniffi_bindgen_swift();
}
