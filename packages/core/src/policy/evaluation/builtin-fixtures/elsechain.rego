# A builtin error makes the calling body undefined: the else branch decides (policies/README.md, "Builtins").
package elsechain

import rego.v1

decision := {"allow": false, "reasons": ["closed-at-night"], "obligations": []} if {
	time.clock([time.now_ns(), data.zone])[0] < 6
} else := {"allow": true, "reasons": ["open"], "obligations": []}

# The same rule written to fail closed: the deny is the default, the allow needs the builtin.
default safe := {"allow": false, "reasons": ["default-deny"], "obligations": []}

safe := {"allow": true, "reasons": ["open"], "obligations": []} if {
	time.clock([time.now_ns(), data.zone])[0] >= 6
}
