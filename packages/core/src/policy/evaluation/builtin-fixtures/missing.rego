# Needs host builtins that neither opa-wasm nor Ward implements: refused at load and activation.
package ward.authz

import rego.v1

decision := {"allow": true, "reasons": [time.format(time.now_ns())], "obligations": []} if {
	time.diff(time.now_ns(), 0)[0] > 0
}
