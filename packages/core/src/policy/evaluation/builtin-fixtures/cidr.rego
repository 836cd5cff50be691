# net.cidr_contains is compiled into the wasm by OPA (no host call): its answers are OPA's wasm library's.
package cidr

import rego.v1

result := net.cidr_contains(input.cidr, input.ip)
