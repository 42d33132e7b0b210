// How OpenSlide prints a double in a property value: GLib's g_ascii_dtostr, i.e. C's "%.17g" in the C locale
// (shortest exponent of two digits, trailing zeros dropped, "nan"/"inf" as glibc prints them). Every driver
// that writes OpenSlide's numeric properties (MPP, offsets, objective power) formats through this one.
export function formatDouble(d: number): string {
  if (!Number.isFinite(d)) return Number.isNaN(d) ? 'nan' : d > 0 ? 'inf' : '-inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const [mantissa, expPart] = d.toExponential(16).split('e');
  const exp = Number(expPart);
  const strip = (s: string): string => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exp < -4 || exp >= 17) return `${strip(mantissa)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return strip(d.toFixed(Math.max(0, 16 - exp)));
}
