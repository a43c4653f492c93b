import { type Compilable, type CompiledQuery, createQueryId } from 'kysely'

const PLACEHOLDER = Symbol('taskstore.placeholder')

interface Placeholder {
  readonly [PLACEHOLDER]: string
}

/**
 * A stand-in for a value that is bound later, by name. Build a query with
 * placeholders once, then bind fresh values on every call.
 */
export function placeholder<T>(name: string): T {
  // Typed as the value it stands for: Kysely only carries it into the parameter list, where bind() replaces it.
  return { [PLACEHOLDER]: name } as unknown as T
}

function isPlaceholder(value: unknown): value is Placeholder {
  return typeof value === 'object' && value !== null && PLACEHOLDER in value
}

type Slot = { readonly name: string } | { readonly constant: unknown }

/**
 * A query compiled once and executed many times with different values.
 * Compiling through the caller's Kysely instance applies its plugins (the
 * schema, notably) exactly as a fresh build would, so the SQL text is the
 * same; only the per-call compilation is saved.
 */
export class QueryTemplate<Row> {
  readonly #compiled: CompiledQuery<Row>
  readonly #slots: readonly Slot[]

  constructor(query: Compilable<Row>) {
    this.#compiled = query.compile()
    this.#slots = this.#compiled.parameters.map((value) =>
      isPlaceholder(value) ? { name: value[PLACEHOLDER] } : { constant: value },
    )
  }

  /** The SQL text, for logging and benchmarks. */
  get sql(): string {
    return this.#compiled.sql
  }

  /** The parameter list with every placeholder replaced by its value. */
  parameters(values: Readonly<Record<string, unknown>>): unknown[] {
    return this.#slots.map((slot) => ('name' in slot ? values[slot.name] : slot.constant))
  }

  /** The compiled query with every placeholder replaced by its value. */
  bind(values: Readonly<Record<string, unknown>>): CompiledQuery<Row> {
    return { ...this.#compiled, parameters: this.parameters(values), queryId: createQueryId() }
  }
}

/** Compiles each query shape once, the first time it is needed. */
export class TemplateCache {
  readonly #templates = new Map<string | number, QueryTemplate<unknown>>()

  get<Row>(key: string | number, build: () => Compilable<Row>): QueryTemplate<Row> {
    let template = this.#templates.get(key) as QueryTemplate<Row> | undefined
    if (!template) {
      template = new QueryTemplate(build())
      this.#templates.set(key, template as QueryTemplate<unknown>)
    }
    return template
  }
}
