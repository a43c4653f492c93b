import type { Attributes, Span } from '@opentelemetry/api'
import { findInChain, sqlStateOf } from '../db/error-chain.js'
import type { TelemetryApi } from './telemetry-api.js'

/**
 * Marks a span failed with the error's class and, when the server answered
 * with one, its SQLSTATE, and returns those attributes for the duration
 * metric. Never the message: it may carry an id or an email.
 */
export function markFailed(api: TelemetryApi, span: Span, error: unknown): Attributes {
  const status = sqlStateIn(error)
  const failure: Attributes = {
    'error.type': errorType(error, status),
    ...(status && { 'db.response.status_code': status }),
  }
  span.setAttributes(failure)
  span.setStatus({ code: api.SpanStatusCode.ERROR })
  return failure
}

/** The class of error for `error.type`: taskstore's class name, else the SQLSTATE, else the error's name. */
function errorType(error: unknown, status: string | undefined): string {
  const name = (error as { name?: unknown } | null)?.name
  if (typeof name === 'string' && name !== 'Error' && name !== 'DatabaseError') return name
  return status ?? (typeof name === 'string' ? name : '_OTHER')
}

/** The first SQLSTATE along the error and its causes. */
function sqlStateIn(error: unknown): string | undefined {
  return sqlStateOf(findInChain(error, (candidate) => sqlStateOf(candidate) !== undefined))
}
