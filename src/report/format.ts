/**
 * Locale-independent formatting shared by the report renderers and the progress display, so
 * that the same number reads the same everywhere and tests do not depend on the host's ICU.
 */
import { byCodeUnits } from '../runtime/byCodeUnits.js';

/** 1234567.8 -> "1,234,568"; fractions are rounded to `digits`. */
export function formatCount(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return String(n);
  const fixed = Math.abs(n).toFixed(digits);
  const [int = '0', frac] = fixed.split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const sign = n < 0 && Number(fixed) !== 0 ? '-' : '';
  return sign + (frac === undefined ? grouped : `${grouped}.${frac}`);
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** 12897234 -> "12.3 MiB"; binary units, because that is what `ls -lh` and `du -h` show. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${formatCount(bytes)} B`;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${BYTE_UNITS[unit]}`;
}

/** 450 -> "450 ms", 12345 -> "12.3 s", 3723000 -> "1h 02m 03s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  const pad = (v: number): string => String(v).padStart(2, '0');
  return h > 0 ? `${h}h ${pad(m)}m ${pad(s)}s` : `${m}m ${pad(s)}s`;
}

/** A share of a whole as "12.5%"; "–" when the whole is zero. */
export function formatPercent(part: number, whole: number): string {
  if (whole <= 0 || !Number.isFinite(whole)) return '–';
  const pct = (part / whole) * 100;
  // Small shares keep two decimals: 12 nulls in 100,000 rows must not read as 0.0%.
  return `${pct.toFixed(pct > 0 && pct < 1 ? 2 : 1)}%`;
}

/**
 * Orders status keys the way a person scans them: HTTP codes ascending, then named outcomes
 * ("network", "timeout", ...) alphabetically.
 */
export function compareStatusKeys(a: string, b: string): number {
  const na = /^\d+$/.test(a) ? Number(a) : Number.NaN;
  const nb = /^\d+$/.test(b) ? Number(b) : Number.NaN;
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  if (!Number.isNaN(na)) return -1;
  if (!Number.isNaN(nb)) return 1;
  return byCodeUnits(a, b);
}

/**
 * Replaces control characters (C0, DEL, C1 — including ESC) with a visible escape, so text
 * that came from the API cannot move the cursor, recolour or clear a terminal.
 */
export function neutralizeControls(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    if (c === '\n') return '⏎';
    if (c === '\t') return ' ';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}
