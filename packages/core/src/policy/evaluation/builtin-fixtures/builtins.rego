# Test policies for Ward's host builtins (builtins.ts); not shipped. build.sh compiles them.
package ward.authz

import rego.v1

# Every Ward host builtin, on the evaluation's time (time.now_ns is environment.time) in data.zone.
now := [time.now_ns(), data.zone]

decision := {"allow": true, "reasons": reasons, "obligations": []} if {
	clock := time.clock(now)
	day := time.date(now)
	reasons := [
		time.weekday(now),
		concat(":", [format_int(clock[0], 10), format_int(clock[1], 10), format_int(clock[2], 10)]),
		concat("-", [format_int(day[0], 10), format_int(day[1], 10), format_int(day[2], 10)]),
		json.marshal(time.add_date(time.now_ns(), 0, 1, 0)),
		json.marshal(time.parse_rfc3339_ns("2026-03-29T01:30:00+01:00")),
	]
}
