package ward.authz_test

# Obligations come sorted as Rego sorts objects: by their keys first ("to" < "type").
break_glass_obligations := [
	{"to": "cctv-office", "type": "notify"},
	{"to": "city-security-desk", "type": "notify"},
	{"type": "log"},
]

test_emergency_services_open_internal_in_their_zone if {
	open(responder, footfall) == allowed("allowed:emergency-services-internal", [])
}

test_emergency_services_internal_outside_their_zone_is_denied if {
	open(object.union(responder, {"zones": ["harbour"]}), footfall) == denied(["outside-zone"])
}

test_zone_bound_role_without_zones_is_denied if {
	open(object.remove(responder, ["zones"]), footfall) == denied(["outside-zone"])
}

test_zone_bound_role_on_data_without_zone_is_denied if {
	unzoned := without_attribute(footfall, "zone")
	decision := open(responder, unzoned) with data.ward.config.producers["footfall-counter-17"].zones as null
	decision == denied(["zone-not-stated"])
}

test_emergency_services_open_public_anywhere if {
	open(object.union(responder, {"zones": []}), air) == allowed("allowed:public", [])
}

test_break_glass_during_declared_emergency_is_logged_and_notified if {
	decide("open", responder, cctv, emergency) == allowed("allowed:emergency-services-break-glass", break_glass_obligations)
}

test_break_glass_without_incident_reference_is_allowed if {
	decide("open", responder, cctv, {"time": now, "emergency": {"declared": true}}).allow
}

test_break_glass_on_personal_data if {
	access_log := with_attributes(parking, {"zone": "market-square", "purpose": ["emergency-response"]})
	decision := decide("open", responder, access_log, emergency) with data.ward.config.producers["parking-sensor-31"].zones as ["market-square"]
	decision == allowed("allowed:emergency-services-break-glass", [
		{"to": "city-security-desk", "type": "notify"},
		{"to": "parking-services", "type": "notify"},
		{"type": "log"},
	])
}

test_break_glass_without_emergency_is_denied if {
	open(responder, cctv) == denied(["break-glass-without-emergency"])
}

test_break_glass_with_emergency_not_declared_is_denied if {
	decide("open", responder, cctv, {"time": now, "emergency": {"declared": false}}) == denied(["break-glass-without-emergency"])
}

test_break_glass_outside_zone_is_denied if {
	subject := object.union(responder, {"zones": ["harbour"]})
	decide("open", subject, cctv, emergency) == denied(["outside-zone"])
}

test_break_glass_outside_zone_without_emergency_gives_both_reasons if {
	subject := object.union(responder, {"zones": ["harbour"]})
	open(subject, cctv) == denied(["break-glass-without-emergency", "outside-zone"])
}

test_break_glass_is_bound_by_purpose if {
	decide("open", purpose(responder, "investigation"), cctv, emergency) == denied(["purpose-not-permitted"])
}

test_break_glass_without_owner_notifies_the_security_desk if {
	no_owner := without_attribute(cctv, "owner")
	decide("open", responder, no_owner, emergency) == allowed("allowed:emergency-services-break-glass", [
		{"to": "city-security-desk", "type": "notify"},
		{"type": "log"},
	])
}

test_break_glass_with_nobody_to_notify_is_denied if {
	no_owner := without_attribute(cctv, "owner")
	decision := decide("open", responder, no_owner, emergency) with data.ward.config.security_desk as ""
	decision == denied(["break-glass-without-notify-target"])
}

test_break_glass_needs_a_high_trust_producer if {
	decision := decide("open", responder, cctv, emergency) with data.ward.config.producers["cctv-12"].trust as "medium"
	decision == denied(["producer-trust-too-low"])
}

test_break_glass_respects_retention if {
	decide("open", responder, issued(cctv, now - (31 * day)), emergency) == denied(["retention-expired"])
}
