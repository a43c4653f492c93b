import type { Span } from '@opentelemetry/api'
import { findInChain, sqlStateOf } from '../db/error-chain.js'
import type { TelemetryApi } from './telemetry-api.js'

/**
 * Marks a span failed with the error's class and, when the server answered
 * with one, its SQLSTATE. Never the message: it may carry an id or an email.
 */
export function markFailed(api: TelemetryApi, span: Span, error: unknown): void {
  const status = sqlStateIn(error)
  span.setAttribute('error.type', errorType(error, status))
  if (status) span.setAttribute('db.response.status_code', status)
  span.setStatus({ code: api.SpanStatusCode.ERROR })
}

/** The class of error for `error.type`: taskstore's class name, else the SQLSTATE, else the error's name. */
export function errorType(error: unknown, status = sqlStateIn(error)): string {
  const name = (error as { name?: unknown } | null)?.name
  if (typeof name === 'string' && name !== 'Error' && name !== 'DatabaseError') return name
  return status ?? (typeof name === 'string' ? name : '_OTHER')
}

/** The first SQLSTATE along the error and its causes. */
export function sqlStateIn(error: unknown): string | undefined {
  return sqlStateOf(findInChain(error, (candidate) => sqlStateOf(candidate) !== undefined))
}
