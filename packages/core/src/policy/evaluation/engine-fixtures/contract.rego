# Test policy for the input contract (policy-input-contract.test.ts): it echoes what the wasm
# saw of a "__proto__" attribute and of input.context, so a test can compare it with what
# the caller sent. Built by build-contract.sh.
package ward.contract

decision := {"allow": true, "reasons": ["proto", input.resource.attributes.__proto__], "obligations": []} if {
	is_string(input.resource.attributes.__proto__)
} else := {"allow": true, "reasons": ["context", json.marshal(input.context)], "obligations": []} if {
	is_object(input.context)
} else := {"allow": false, "reasons": ["default-deny"], "obligations": []}
