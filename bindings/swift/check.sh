#!/usr/bin/env bash
# What can be checked of the Swift bindings without a Swift compiler (none is reachable here):
#  1. generation: Sources/Sspr/Sspr.swift, Sources/SsprFFI/{SsprFFI.h,module.modulemap};
#  2. syntax of the generated and the hand-written Swift (tree-sitter-swift, syntax_check.py);
#  3. the C header Swift imports compiles with gcc and links and runs against the library
#     (the contract version it reports matches the header's checksum set);
#  4. every public name the hand-written tests use exists in the generated Swift.
# Not checked here: Swift type checking and running Tests/SsprTests (needs `swift test`).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# The cargo target directory: CARGO_TARGET_DIR if set (relative to where the script was
# started), else target/ at the root; exported absolute so cargo and this script agree.
export CARGO_TARGET_DIR="$(realpath -m "${CARGO_TARGET_DIR:-$root/target}")"
cd "$root"
py="${PYTHON:-$root/.venv/bin/python}"

cargo build -q -p sspr-ffi -p uniffi-bindgen
gen="$CARGO_TARGET_DIR/swift"
rm -rf "$gen" && mkdir -p "$gen"
"$CARGO_TARGET_DIR/debug/uniffi-bindgen-swift" --swift-sources --headers --modulemap --module-name SsprFFI \
  --modulemap-filename module.modulemap "$CARGO_TARGET_DIR/debug/libsspr_ffi.so" "$gen" >/dev/null
mkdir -p "$here/Sources/Sspr" "$here/Sources/SsprFFI"
cp "$gen/Sspr.swift" "$here/Sources/Sspr/"
cp "$gen/SsprFFI.h" "$gen/module.modulemap" "$here/Sources/SsprFFI/"
for f in Sources/Sspr/Sspr.swift Sources/SsprFFI/SsprFFI.h Sources/SsprFFI/module.modulemap; do
  [ -s "$here/$f" ] || { echo "missing $f"; exit 1; }
done
echo "generated: $(wc -l < "$here/Sources/Sspr/Sspr.swift") lines of Swift, $(wc -l < "$here/Sources/SsprFFI/SsprFFI.h") of C header"

"$py" "$here/syntax_check.py" "$here/Sources/Sspr/Sspr.swift" "$here/Package.swift" "$here"/Tests/SsprTests/*.swift

cat > "$gen/link.c" <<'C'
#include <stdio.h>
#include "SsprFFI.h"
int main(void) {
    printf("%u\n", ffi_sspr_ffi_uniffi_contract_version());
    return 0;
}
C
gcc -D_Nonnull= -D_Nullable= -Wall -Werror -I"$here/Sources/SsprFFI" "$gen/link.c" \
  -L"$CARGO_TARGET_DIR/debug" -lsspr_ffi -o "$gen/link"
version="$(LD_LIBRARY_PATH="$CARGO_TARGET_DIR/debug" "$gen/link")"
[ "$version" -gt 0 ] || { echo "the library reported no contract version"; exit 1; }
echo "C header: compiled, linked and ran against libsspr_ffi (UniFFI contract version $version)"

# Every API name the hand-written Swift uses must be generated.
missing=0
for name in 'func startReset(identifier: String, captcha: String, client: String?)' \
            'func resetStep(flowId: String, input: ResetInput)' \
            'func resetView(flowId: String)' \
            'func importSecurityInfo(userId: String, `import`: SecurityInfoImport)' \
            'public convenience init(policy: Policy, ports: Ports, settings: EngineSettings)' \
            'public static func forTests(now: UInt64, seed: UInt64?, captchaToken: String) -> MemoryPorts' \
            'func withNotifier(notifier: Notifier)' 'func withFlows(store: FlowStore)' \
            'func withSecurityInfo(store: SecurityInfoStore)' \
            'func passwordMatches(userId: String, password: String)' \
            'func addUser(user: DirectoryUser, password: String)' \
            'public static func fromToml(text: String)' 'public static func fromJson(text: String)' \
            'public func checkStores(flows: FlowStore, securityInfo: SecurityInfoStore, counters: CounterStore, consumeOnce: ConsumeOnceSet, namespace: String, threads: UInt32)' \
            'public func totpCode(secretB32: String, t: UInt64, algorithm: OtpAlgorithm, digits: UInt8, period: UInt32)' \
            'public func hashParamsInsecureForTests()' \
            'public protocol FlowStore' 'public protocol SecurityInfoStore' 'public protocol Notifier' \
            'public protocol CounterStore' 'public protocol ConsumeOnceSet' \
            'case choose(' 'case enterCode(' 'case newPassword(' 'case Conflict(' 'case Unavailable(' \
            'case Port(' 'case Policy(' 'case Misuse(' 'case Input(' \
            'public struct StoredRecord' 'public struct EngineSettings' 'public struct SigningKey' \
            'public struct CounterState' 'public func decoySettingsDefault()' \
            'func get(key: String, now: UInt64) throws  -> CounterState' \
            'func release(key: String, now: UInt64) throws' \
            'func changePassword(username: String, old: String, new: String, confirm: String, client: String? = nil)' \
            'func resetPasswordByHelpDesk(userId: String, actor: String)' \
            'func issueAccessPass(userId: String, actor: String, lifetimeS: UInt64, oneTime: Bool)' \
            'func replacePolicy(policy: Policy, actor: String)' \
            'func startRegistration(username: String, password: String, client: String? = nil)' \
            'func registrationStep(flowId: String, input: RegistrationInput)' \
            'func refusePassword(password: String)' 'func mustChangePassword(userId: String)' \
            'case accessPass(' 'public var helpDesk: String?' 'public var mustChange: Bool' \
            'public var expiresAt: UInt64' 'public var changed: Bool'; do
  if ! grep -qF -- "$name" "$here/Sources/Sspr/Sspr.swift"; then
    echo "not generated: $name"; missing=1
  fi
done
[ "$missing" = 0 ] || exit 1
echo "public names used by Tests/SsprTests: all generated"
