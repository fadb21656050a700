/**
 * Normalisations for searchable fields: what makes two spellings of one value the same value
 * before deterministic encryption. Applied in a fixed order whatever order the config lists them
 * (NFKC, then trim, then lower case, then digits only), so a config's spelling cannot change the
 * markers it makes.
 */

export const NORMALIZATIONS = ['nfkc', 'trim', 'lowercase', 'digits'] as const;
export type Normalization = (typeof NORMALIZATIONS)[number];

const STEPS: Readonly<Record<Normalization, (value: string) => string>> = {
  // Compatibility forms: full-width letters, ligatures, superscripts read as their plain forms.
  nfkc: (value) => value.normalize('NFKC'),
  // Unicode white space at both ends (String.prototype.trim: the same set every engine uses).
  trim: (value) => value.trim(),
  // The locale-independent Unicode default case mapping (no Turkish dotless-i surprises).
  lowercase: (value) => value.toLowerCase(),
  // ASCII digits only: '123-45-6789' and '123 45 6789' are one SSN.
  digits: (value) => value.replace(/[^0-9]/g, ''),
};

/**
 * A normaliser for a set of normalisations.
 *
 * @example normalizer(['trim', 'lowercase'])(' Alice@Example.com ') // 'alice@example.com'
 */
export function normalizer(steps: readonly Normalization[]): (value: string) => string {
  const chosen = NORMALIZATIONS.filter((step) => steps.includes(step)).map((step) => STEPS[step]);
  return (value) => chosen.reduce((text, step) => step(text), value);
}

/** True when `name` is a known normalisation. */
export function isNormalization(name: unknown): name is Normalization {
  return typeof name === 'string' && (NORMALIZATIONS as readonly string[]).includes(name);
}
