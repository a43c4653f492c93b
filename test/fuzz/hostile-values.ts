import fc from 'fast-check'

/** Runs per public function: `FUZZ_RUNS` (npm run test:fuzz sets 10,000), else a CI-sized default. */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 100)

const ONE_MB = 1 << 20

/** Strings of single lone (unpaired) UTF-16 surrogates mixed with ordinary text. */
const loneSurrogates = fc
  .array(
    fc.oneof(
      fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit)),
      fc.string({ maxLength: 3 }),
    ),
    { minLength: 1, maxLength: 8 },
  )
  .map((parts) => parts.join(''))
  .filter((text) => !text.isWellFormed())

/** Every kind of string a host might pass on: full Unicode, NUL, boundaries, huge. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 6, arbitrary: loneSurrogates },
  { weight: 6, arbitrary: fc.string({ maxLength: 10 }).map((text) => `${text}\u0000${text}`) },
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '\t\n ',
      '\u0000',
      '\u200b',
      '\ufeff',
      '\u{1F600}'.repeat(200),
      '\u{1F600}'.repeat(201),
      'x'.repeat(200),
      ` ${'x'.repeat(200)} `,
      'x'.repeat(201),
      'x'.repeat(1000),
      'x'.repeat(1001),
      'a'.repeat(36),
      'a'.repeat(37),
      `${'a'.repeat(64)}@${'b'.repeat(186)}.com`,
      "'; drop table tasks; --",
      '%',
      '_',
      '\\',
      '%_\\%',
      '$1',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal placeholder is the point
      '${x}',
      'null',
      'undefined',
      '__proto__',
      'constructor',
      'NaN',
      '-0',
      '1e309',
      '2147483648',
      'Ada@Example.COM',
      ' ada@example.com ',
      'ada@@example.com',
      'ada@example',
      '\uD800',
      '\uDFFF\uD800',
      'e\u0301',
      '\u{10FFFF}',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(ONE_MB), '\u{1F600}'.repeat(ONE_MB / 2), ' '.repeat(ONE_MB)) },
)

/** Numbers that are not what a field wants: non-finite, -0, fractions, out of range. */
export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0,
    0,
    -1,
    0.5,
    1.5,
    3.000001,
    6,
    2_147_483_647,
    2_147_483_648,
    -2_147_483_648,
    99_999_999_999,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 2,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    Number.EPSILON,
  ),
  fc.double(),
  fc.integer(),
)

/** Objects whose own keys are `__proto__`, `constructor` and friends, as JSON.parse makes them. */
export const prototypeKeyObject: fc.Arbitrary<Record<string, unknown>> = fc
  .record({
    key: fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'then'),
    inner: fc.constantFrom(
      '{"title":"polluted","isAdmin":true,"completed":true}',
      '{"prototype":{"title":"polluted"}}',
      '"x"',
      'null',
      '1',
    ),
    extra: fc.constantFrom('', ',"title":"ok"', ',"email":"ok@example.com"', ',"priority":3'),
  })
  .map(({ key, inner, extra }) => JSON.parse(`{"${key}":${inner}${extra}}`))

const miscellaneous: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    null,
    undefined,
    true,
    false,
    [],
    {},
    Object.create(null),
    new Date(Number.NaN),
    new Date(0),
    Symbol('hostile'),
    () => 'function',
    new Map([['title', 'x']]),
    new Set([1]),
    Buffer.from('title'),
    new Uint8Array([0, 1, 2]),
    /title/,
    new Error('not an input'),
    { toString: () => 'x', valueOf: () => 3 },
    { toJSON: () => ({ title: 'x' }) },
    Object.assign(Object.create({ title: 'inherited', priority: 3 }), {}),
  ),
  fc.bigInt(),
  fc.date(),
)

/** Any hostile value: strings, numbers, bigints, wrong types, odd objects, shallow containers of them. */
export const hostileValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 4, arbitrary: hostileString },
    { weight: 3, arbitrary: hostileNumber },
    { weight: 3, arbitrary: miscellaneous },
    { weight: 1, arbitrary: prototypeKeyObject },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.dictionary(hostileString, tie('value'), { maxKeys: 3 }) },
  ),
})).value

/** Mostly a plausible value, sometimes a hostile one: gets past some checks and not others. */
export function either<T>(valid: fc.Arbitrary<T>, validWeight = 6): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: validWeight, arbitrary: valid }, { weight: 1, arbitrary: hostileValue })
}

/** An object built from optional fields, sometimes with extra hostile keys, or no object at all. */
export function hostileObject(
  fields: Record<string, fc.Arbitrary<unknown>>,
  requiredKeys: readonly string[] = [],
): fc.Arbitrary<unknown> {
  // a required key is still left out one time in ten
  const record = fc
    .tuple(fc.record(fields, { requiredKeys: [...requiredKeys] }), fc.nat(9), fc.constantFrom(...requiredKeys, ''))
    .map(([value, roll, dropped]) => {
      if (roll !== 0 || !dropped) return value
      const { [dropped]: _, ...rest } = value as Record<string, unknown>
      return rest
    })
  return fc.oneof(
    { weight: 8, arbitrary: record },
    {
      weight: 2,
      arbitrary: fc
        .tuple(record, prototypeKeyObject)
        .map(([base, extra]) => Object.assign(JSON.parse(JSON.stringify(extra)), base)),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(record, fc.dictionary(hostileString, hostileValue, { minKeys: 1, maxKeys: 2 }))
        .map(([base, extra]) => ({ ...extra, ...base })),
    },
    { weight: 2, arbitrary: hostileValue },
  )
}

/** Plausible field values, to mix with hostile ones. */
export const plausible = {
  title: fc.oneof(fc.string({ minLength: 1, maxLength: 30, unit: 'grapheme' }), fc.constant('Buy milk')),
  description: fc.oneof(fc.constant(null), fc.string({ maxLength: 50, unit: 'grapheme' })),
  priority: fc.integer({ min: 1, max: 5 }),
  email: fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .tuple(fc.stringMatching(/^[a-z0-9._+-]{1,12}$/), fc.constantFrom('example.com', 'Example.ORG', 'b.co'))
        .map(([local, domain]) => `${local}@${domain}`),
    },
    { weight: 1, arbitrary: fc.emailAddress() },
    { weight: 1, arbitrary: fc.constantFrom('Someone@Example.com', ' new@example.com ', 'ALICE@example.com') },
  ),
  name: fc.oneof(fc.constant(null), fc.string({ maxLength: 20 })),
  password: fc.string({ minLength: 8, maxLength: 40 }),
  userId: fc.oneof(fc.uuid(), fc.string({ minLength: 1, maxLength: 36 })),
  sort: fc.constantFrom('createdAt', 'updatedAt', 'priority', 'title', 'completedAt'),
  order: fc.constantFrom('asc', 'desc'),
  limit: fc.integer({ min: 1, max: 100 }),
}
