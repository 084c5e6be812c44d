/**
 * The demo's data: seeded synthetic prescriptions of diabetes medicines, one row per
 * (patient, brand) prescription, labelled with whether the patient stopped taking that
 * brand within 30 days. Nothing here is real patient data.
 *
 * The generator's true model is a logistic one whose effects are declared below
 * (TRUE_EFFECTS) so the demo can show that the trained model recovers them: the chance of
 * stopping is sigmoid(intercept + brand effect + covariate effects). Brands differ by
 * design: Insulex (an injectable) has the highest stopping risk, then Sitaglin, then Glucora
 * (gastro-intestinal side effects); Metforal is the reference (effect 0). Copays come from
 * the patient's plan, independent of the brand, so the brand effect is not confounded. A
 * patient holds 1 to 3 prescriptions of different brands, so one patient can be scored
 * brand by brand.
 *
 * A `drift` option shifts the population (older patients, a different brand mix) for the
 * monitoring part of the demo.
 */

export const BRANDS = ['Metforal', 'Glucora', 'Sitaglin', 'Insulex'] as const;
export type Brand = (typeof BRANDS)[number];

/** The generator's true logistic effects (log-odds of stopping within 30 days). */
export const TRUE_EFFECTS = {
  intercept: -1.6,
  brand: { Metforal: 0, Glucora: 0.45, Sitaglin: 0.8, Insulex: 1.25 } satisfies Record<Brand, number>,
  /** Per prior refill gap in the last year (0-4). */
  priorGaps: 0.35,
  /** Per 10 years of age above 60 (younger patients stop more often: negative above 60). */
  agePer10YearsOver60: -0.2,
  /** Per 1 point of HbA1c above 7 (poorer control, more stopping). */
  hba1cAbove7: 0.15,
  /** Per 10 dollars of monthly copay. */
  copayPer10: 0.12,
  depression: 0.5,
  /** Chronic kidney disease: more clinical follow-up, less stopping. */
  ckd: -0.3,
} as const;

export const COLUMNS = [
  'patient_id',
  'age',
  'sex',
  'bmi',
  'hba1c',
  'egfr',
  'hypertension',
  'ckd',
  'depression',
  'prior_gaps',
  'prior_pdc',
  'brand',
  'copay',
  'stopped_within_30d',
] as const;

export interface PopulationDrift {
  /** Years added to every patient's age. @default 0 */
  readonly ageShift?: number;
  /** Relative weights of the brands in new prescriptions. @default equal */
  readonly brandMix?: Partial<Record<Brand, number>>;
}

export interface SyntheticPatientsOptions {
  readonly patients: number;
  readonly seed: number;
  /** Patient ids start here, so batches from one population do not reuse ids. @default 0 */
  readonly firstPatient?: number;
  readonly drift?: PopulationDrift;
  /** Leave the label column out (an inference batch). @default false */
  readonly unlabelled?: boolean;
}

export interface SyntheticPatients {
  readonly csv: string;
  readonly rows: number;
  readonly patients: number;
}

/** mulberry32: a small seeded generator, the same sequence on every platform. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generatePatients(options: SyntheticPatientsOptions): SyntheticPatients {
  if (!Number.isInteger(options.patients) || options.patients < 1) throw new RangeError(`patients must be a positive integer, got ${options.patients}`);
  const random = seededRandom(options.seed);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const ageShift = options.drift?.ageShift ?? 0;
  const mix = BRANDS.map((b) => Math.max(0, options.drift?.brandMix?.[b] ?? 1));
  const mixTotal = mix.reduce((a, b) => a + b, 0);
  if (!(mixTotal > 0)) throw new RangeError('brandMix must give at least one brand a positive weight');

  const pickBrands = (count: number): Brand[] => {
    const chosen: Brand[] = [];
    while (chosen.length < count) {
      let u = random() * mixTotal;
      let i = 0;
      while (u >= mix[i] && i < BRANDS.length - 1) u -= mix[i++];
      if (mix[i] > 0 && !chosen.includes(BRANDS[i])) chosen.push(BRANDS[i]);
      if (chosen.length >= mix.filter((w) => w > 0).length) break;
    }
    return chosen;
  };

  const columns = options.unlabelled ? COLUMNS.slice(0, -1) : COLUMNS;
  const lines: string[] = [columns.join(',')];
  const e = TRUE_EFFECTS;
  const first = options.firstPatient ?? 0;
  for (let p = 0; p < options.patients; p++) {
    const id = `P${String(first + p).padStart(7, '0')}`;
    const age = Math.round(Math.min(95, Math.max(18, 58 + 12 * gaussian() + ageShift)));
    const sex = random() < 0.5 ? 'F' : 'M';
    const bmi = Math.max(16, 31 + 5 * gaussian());
    const hba1c = Math.max(5, 7.6 + 1.3 * gaussian());
    const egfr = Math.max(10, 95 - 0.6 * (age - 40) + 15 * gaussian());
    const hypertension = random() < 0.3 + 0.005 * (age - 40);
    const ckd = egfr < 60;
    const depression = random() < 0.18;
    const priorGaps = Math.min(4, Math.floor(-Math.log(1 - random()) * (depression ? 1.4 : 0.8)));
    const priorPdc = Math.min(1, Math.max(0.2, 0.95 - 0.12 * priorGaps + 0.05 * gaussian()));
    const planCopay = 10 + 30 * random();
    const brandCount = 1 + Math.floor(random() * 3);
    for (const brand of pickBrands(brandCount)) {
      const copay = Math.max(0, planCopay + 6 * gaussian());
      const logit =
        e.intercept +
        e.brand[brand] +
        e.priorGaps * priorGaps +
        (e.agePer10YearsOver60 * (age - 60)) / 10 +
        e.hba1cAbove7 * (hba1c - 7) +
        (e.copayPer10 * copay) / 10 +
        (depression ? e.depression : 0) +
        (ckd ? e.ckd : 0);
      const stopped = random() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
      const cells = [
        id,
        String(age),
        sex,
        bmi.toFixed(1),
        hba1c.toFixed(1),
        egfr.toFixed(0),
        hypertension ? 'true' : 'false',
        ckd ? 'true' : 'false',
        depression ? 'true' : 'false',
        String(priorGaps),
        priorPdc.toFixed(2),
        brand,
        copay.toFixed(2),
      ];
      if (!options.unlabelled) cells.push(String(stopped));
      lines.push(cells.join(','));
    }
  }
  return { csv: `${lines.join('\n')}\n`, rows: lines.length - 1, patients: options.patients };
}

/** The brands ordered by their true effect, highest stopping risk first. */
export function brandsByTrueEffect(): Brand[] {
  return [...BRANDS].sort((a, b) => TRUE_EFFECTS.brand[b] - TRUE_EFFECTS.brand[a]);
}
