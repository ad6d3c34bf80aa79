import type { Style } from './color.js';
import { displayWidth, stripAnsi } from './text.js';

/** Columns padded to their widest cell, with a dim header row. Cells may contain styles. */
export function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  style: Style,
): string {
  const widths = headers.map((header, column) =>
    Math.max(displayWidth(header), ...rows.map((row) => displayWidth(stripAnsi(row[column] ?? '')))),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        column === cells.length - 1
          ? cell
          : cell + ' '.repeat(widths[column]! - displayWidth(stripAnsi(cell))),
      )
      .join('  ')
      .trimEnd();
  return [style.dim(line(headers)), ...rows.map(line)].join('\n');
}
