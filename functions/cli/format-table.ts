/** Compact, aligned text tables for human output. */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

/** `{a: "1", b: "2"}` → `a=1 b=2`; `{}` → `-`. */
export function formatPairs(pairs: Readonly<Record<string, string>> | undefined): string {
  const entries = Object.entries(pairs ?? {});
  return entries.length === 0 ? '-' : entries.map(([k, v]) => `${k}=${v === '' ? '""' : v}`).join(' ');
}
