# Test policy for PolicyEngine's own tests (not the city policy set, which lives in policies/).
package ward.authz

default decision := {"allow": false, "reasons": ["default-deny"], "obligations": []}

decision := {"allow": true, "reasons": ["allowed:analyst-internal"], "obligations": data.obligations} if {
	input.action == "open"
	"analyst" in input.subject.roles
	input.resource.attributes.classification == "internal"
	input.subject.purpose in input.resource.attributes.purpose
}

decision := {"allow": true, "reasons": ["allowed:echo"], "obligations": []} if {
	input.subject.id == "echo"
	input.environment.time > 0
}
