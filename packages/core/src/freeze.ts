/*
 * deepFreeze, the one way core makes what it hands out or caches immutable ("own what you
 * cache": a caller must not change a cached decision, a returned input or a parsed bundle).
 */

/**
 * Freezes `value` and everything reachable through its own enumerable properties, in place,
 * and returns it. A parent is frozen before its children, so a cycle ends at the first object
 * seen twice. Internal to core.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
