# Shared fixtures of the policy tests: the quickstart's city (data.json), its producers'
# readings, and the people who ask for them.
package ward.authz_test

import data.ward.authz

# 2026-11-22T04:51:42Z
now := 1795323102

hour := 3600

day := 86400

env := {"time": now}

emergency := {"time": now, "emergency": {"declared": true, "incident": "INC-2026-1142"}}

# Decisions -------------------------------------------------------------------------------------

decide(action, subject, resource, environment) := decision if {
	decision := authz.decision with input as {
		"action": action,
		"subject": subject,
		"resource": resource,
		"environment": environment,
	}
}

open(subject, resource) := decide("open", subject, resource, env)

allowed(reason, obligations) := {"allow": true, "reasons": [reason], "obligations": obligations}

denied(reasons) := {"allow": false, "reasons": reasons, "obligations": []}

# Subjects --------------------------------------------------------------------------------------

analyst := {"id": "user:alice", "roles": ["analyst"], "purpose": "planning"}

operator := {"id": "user:omar", "roles": ["operator"], "purpose": "operations"}

auditor := {"id": "user:ada", "roles": ["auditor"], "purpose": "audit"}

citizen := {"id": "anonymous", "roles": ["public"], "purpose": "transparency"}

responder := {
	"id": "responder:fire-7",
	"roles": ["emergency-services"],
	"purpose": "emergency-response",
	"zones": ["market-square"],
}

ravi := {
	"id": "contractor:metromaint:ravi",
	"roles": ["maintenance-contractor"],
	"purpose": "maintenance",
	"zones": ["market-square", "harbour"],
	"organisation": "MetroMaint Services",
}

ana := {
	"id": "contractor:brightway:ana",
	"roles": ["maintenance-contractor"],
	"purpose": "maintenance",
	"zones": ["old-town"],
	"organisation": "Brightway Lighting",
}

# Resources (verified envelope facts) -----------------------------------------------------------

reading(issuer, stream, attributes) := {
	"issuer": issuer,
	"stream": stream,
	"issuedAt": now - hour,
	"sequence": "1041",
	"id": "5c1e0d2a9b7f4e6a8c3d1b0f2e4a6c8d",
	"attributes": attributes,
	"signer": {"kid": "8f3a6c1d", "alg": -8},
	"encryption": "encrypt",
}

# A footfall counter: internal.
footfall := reading("footfall-counter-17", "footfall/market-square", {
	"classification": "internal",
	"zone": "market-square",
	"purpose": ["planning", "operations", "maintenance", "emergency-response", "audit"],
})

# An air-quality monitor: public, no purpose binding.
air := reading("aq-monitor-5", "air-quality/market-square", {
	"classification": "public",
	"zone": "market-square",
})

# A CCTV incident camera: special-category.
cctv := reading("cctv-12", "incidents/market-square", {
	"classification": "special-category",
	"zone": "market-square",
	"purpose": ["public-safety", "emergency-response", "audit"],
	"owner": "cctv-office",
	"retention": 30 * day,
})

# A parking sensor reading licence plates: personal.
parking := reading("parking-sensor-31", "parking/old-town", {
	"classification": "personal",
	"zone": "old-town",
	"purpose": ["planning", "enforcement", "operations"],
	"owner": "parking-services",
})

# A street-light controller's fault report: internal.
lamp_fault := reading("lamp-controller-88", "lighting/faults/lamp-88", {
	"classification": "internal",
	"zone": "old-town",
	"purpose": ["maintenance"],
})

# object.union merges nested objects: attributes are added or replaced, never removed.
with_attributes(resource, attributes) := object.union(resource, {"attributes": object.union(resource.attributes, attributes)})

issued(resource, at) := object.union(resource, {"issuedAt": at})

with_roles(subject, roles) := object.union(subject, {"roles": roles})

purpose(subject, p) := object.union(subject, {"purpose": p})

without_attribute(resource, key) := object.union(object.remove(resource, ["attributes"]), {"attributes": object.remove(resource.attributes, [key])})
