/** MQTT topic and filter matching on pre-split levels ([MQTT-4.7]). */

/** True when `filter` matches the concrete topic. `$`-topics never match a leading wildcard [MQTT-4.7.2-1]. */
export function filterMatchesTopic(filter: readonly string[], topic: readonly string[]): boolean {
  if (topic[0]?.startsWith('$') && (filter[0] === '+' || filter[0] === '#')) return false;
  for (let i = 0; i < filter.length; i++) {
    const level = filter[i];
    if (level === '#') return true;
    if (i >= topic.length) return false;
    if (level !== '+' && level !== topic[i]) return false;
  }
  return filter.length === topic.length;
}

/** True when every topic `inner` can match is also matched by `outer` (subscription containment). */
export function filterCovers(outer: readonly string[], inner: readonly string[]): boolean {
  if (inner[0]?.startsWith('$') && (outer[0] === '+' || outer[0] === '#')) return false;
  for (let i = 0; i < outer.length; i++) {
    const o = outer[i];
    if (o === '#') return true;
    if (i >= inner.length) return false;
    const n = inner[i];
    if (n === '#') return false;
    if (o !== '+' && (n === '+' || n !== o)) return false;
  }
  return outer.length === inner.length;
}

/** True when some concrete topic matches both filters. */
export function filtersOverlap(a: readonly string[], b: readonly string[]): boolean {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x === '#' || y === '#') return true;
    if (x === undefined || y === undefined) return false;
    if (x !== '+' && y !== '+' && x !== y) return false;
  }
  return true;
}

/** True when `filter` is a valid MQTT topic filter (wildcards whole levels, `#` last). */
export function isValidFilter(levels: readonly string[]): boolean {
  return levels.every((l, i) =>
    l.includes('#') ? l === '#' && i === levels.length - 1 : !l.includes('+') || l === '+',
  );
}
