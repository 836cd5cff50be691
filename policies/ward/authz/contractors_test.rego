package ward.authz_test

# 2026-12-01T23:00:00Z, inside Ana's first window.
night_shift := 1796166000

test_contractor_opens_contracted_device_readings if {
	open(ravi, footfall) == allowed("allowed:maintenance-contractor-internal", [])
}

test_contractor_opens_public_without_contract_checks if {
	open(object.union(ravi, {"id": "contractor:nobody", "zones": []}), air) == allowed("allowed:public", [])
}

test_contractor_personal_is_denied if {
	open(ravi, with_attributes(parking, {"purpose": ["maintenance"]})) == denied(["classification-not-permitted"])
}

test_contractor_special_category_is_denied if {
	open(ravi, with_attributes(cctv, {"purpose": ["maintenance"]})) == denied(["classification-not-permitted"])
}

test_contractor_without_contract_is_denied if {
	open(object.union(ravi, {"id": "contractor:metromaint:sam"}), footfall) == denied(["no-contract"])
}

test_contractor_outside_subject_zones_is_denied if {
	open(object.union(ravi, {"zones": ["harbour"]}), footfall) == denied(["outside-zone"])
}

test_contractor_outside_contracted_zones_is_denied if {
	decision := open(ravi, footfall) with data.ward.config.contractors["contractor:metromaint:ravi"].zones as ["harbour"]
	decision == denied(["outside-contracted-zone"])
}

test_contractor_before_window_is_denied if {
	early := 1767225600 - 1
	decide("open", ravi, issued(footfall, early - hour), {"time": early}) == denied(["outside-time-window"])
}

test_contractor_window_start_is_inclusive if {
	start := 1767225600
	decide("open", ravi, issued(footfall, start - hour), {"time": start}).allow
}

test_contractor_window_end_is_exclusive if {
	end := 1893456000
	decide("open", ravi, issued(footfall, end - hour), {"time": end}) == denied(["outside-time-window"])
}

test_contractor_without_windows_is_denied if {
	decision := open(ravi, footfall) with data.ward.config.contractors["contractor:metromaint:ravi"].windows as []
	decision == denied(["outside-time-window"])
}

test_contractor_other_device_kind_is_denied if {
	decision := open(ravi, footfall) with data.ward.config.producers["footfall-counter-17"].kind as "cctv-incident-camera"
	decision == denied(["device-not-in-contract"])
}

test_contractor_unregistered_device_is_denied_twice if {
	# An unknown producer has no kind, and is low trust.
	unknown := object.union(footfall, {"issuer": "unregistered-sensor"})
	open(ravi, unknown) == denied(["device-not-in-contract", "producer-trust-too-low"])
}

test_contractor_other_organisation_is_denied if {
	open(object.union(ravi, {"organisation": "Elsewhere Ltd"}), footfall) == denied(["organisation-mismatch"])
}

test_contractor_without_organisation_is_denied if {
	open(object.remove(ravi, ["organisation"]), footfall) == denied(["organisation-mismatch"])
}

test_contract_without_organisation_accepts_any if {
	decision := open(object.remove(ravi, ["organisation"]), footfall) with data.ward.config.contractors["contractor:metromaint:ravi"].organisation as null
	decision.allow
}

test_contractor_everything_wrong_gives_every_reason if {
	later := 1900000000
	decision := decide("open", ravi, issued(lamp_fault, later - hour), {"time": later})
	decision == denied(["device-not-in-contract", "outside-contracted-zone", "outside-time-window", "outside-zone"])
}

# The worked example of policies/README.md: street-lighting contractors open lamp fault
# readings in their zone during their window, and nothing else of the lamps.

test_lighting_contractor_opens_lamp_faults_in_window if {
	decision := decide("open", ana, issued(lamp_fault, night_shift - hour), {"time": night_shift})
	decision == allowed("allowed:maintenance-contractor-internal", [])
}

test_lighting_contractor_outside_window_is_denied if {
	open(ana, lamp_fault) == denied(["outside-time-window"])
}

test_lighting_contractor_other_lamp_stream_is_denied if {
	energy := object.union(lamp_fault, {"stream": "lighting/energy/lamp-88"})
	decide("open", ana, issued(energy, night_shift - hour), {"time": night_shift}) == denied(["stream-not-in-contract"])
}

test_lighting_contractor_in_another_zone_is_denied if {
	subject := object.union(ana, {"zones": ["old-town", "market-square"]})
	decide("open", subject, issued(footfall, night_shift - hour), {"time": night_shift}) == denied([
		"device-not-in-contract",
		"outside-contracted-zone",
		"stream-not-in-contract",
	])
}
