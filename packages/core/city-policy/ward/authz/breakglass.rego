# Emergency services, and break-glass access to data about people.
#
# Emergency services are zone-bound (roles.rego): in the zones they present they may open
# internal data at any time, and personal or special-category data (CCTV, door-access logs)
# only while an emergency is declared (environment.emergency.declared). Such a break-glass open
# always carries obligations: log the access, and notify the data owner (when the data names
# one) and the city's security desk (data.json security_desk).
#
#   break-glass-without-emergency       no declared emergency
#   break-glass-without-notify-target   neither an owner nor a security desk to notify
#
# Purpose binding still applies: data about people opens under break-glass only for a purpose
# it states (e.g. "emergency-response").
package ward.authz

scope["emergency-services"] := "emergency-services-internal" if {
	"emergency-services" in acting_roles
	action == "open"
	classification == "internal"
}

scope["emergency-services"] := "emergency-services-break-glass" if {
	"emergency-services" in acting_roles
	action == "open"
	classification in personal_classifications
}

break_glass if scope["emergency-services"] == "emergency-services-break-glass"

emergency_declared if got(got(environment, "emergency"), "declared") == true

role_denial contains {"role": "emergency-services", "reason": "break-glass-without-emergency"} if {
	break_glass
	not emergency_declared
}

role_denial contains {"role": "emergency-services", "reason": "break-glass-without-notify-target"} if {
	break_glass
	count(notify_targets) == 0
}

notify_targets contains owner if {
	owner := got(attributes, "owner")
	non_empty_string(owner)
}

notify_targets contains desk if {
	desk := got(config, "security_desk")
	non_empty_string(desk)
}

role_obligation contains {"role": "emergency-services", "obligation": {"type": "log"}} if break_glass

role_obligation contains {"role": "emergency-services", "obligation": {"type": "notify", "to": target}} if {
	break_glass
	some target in notify_targets
}
