/**
 * Checks requests against GitHub's published OpenAPI description (@octokit/openapi), so the
 * stand-in refuses what GitHub would refuse: unknown paths/methods, missing required body fields,
 * wrong types and values outside an enum.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

type Schema = {
  $ref?: string
  type?: string
  nullable?: boolean
  required?: string[]
  properties?: Record<string, Schema>
  items?: Schema
  enum?: unknown[]
  oneOf?: Schema[]
  anyOf?: Schema[]
  allOf?: Schema[]
  minItems?: number
}

interface Parameter {
  $ref?: string
  name: string
  in: string
  required?: boolean
  'x-multi-segment'?: boolean
}

interface Operation {
  operationId: string
  parameters?: Parameter[]
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> }
}

interface Spec {
  paths: Record<string, Record<string, Operation>>
  components: { schemas: Record<string, Schema>; parameters: Record<string, Parameter> }
}

export interface MatchedOperation {
  operationId: string
  template: string
  /** Path parameters, decoded. */
  params: Record<string, string>
  operation: Operation
}

interface Route {
  template: string
  regex: RegExp
  names: string[]
  literals: number
  methods: Record<string, Operation>
}

let loaded: { spec: Spec; routes: Route[] } | undefined

function load(): { spec: Spec; routes: Route[] } {
  if (loaded) return loaded
  const require = createRequire(import.meta.url)
  const dir = path.dirname(require.resolve('@octokit/openapi/package.json'))
  const spec = JSON.parse(readFileSync(path.join(dir, 'generated/api.github.com.json'), 'utf8')) as Spec
  const routes: Route[] = []
  for (const [template, item] of Object.entries(spec.paths)) {
    const methods: Record<string, Operation> = {}
    for (const [method, op] of Object.entries(item)) {
      if (typeof op === 'object' && op && 'operationId' in op) methods[method.toUpperCase()] = op
    }
    const multi = new Set<string>()
    for (const op of Object.values(methods)) {
      for (const p of op.parameters ?? []) {
        const param = resolveParam(spec, p)
        if (param['x-multi-segment']) multi.add(param.name)
      }
    }
    const names: string[] = []
    let literals = 0
    const pattern = template
      .split('/')
      .map(segment => {
        const m = /^\{(.+)\}$/.exec(segment)
        if (!m) {
          literals++
          return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        }
        names.push(m[1])
        return multi.has(m[1]) ? '(.+)' : '([^/]+)'
      })
      .join('/')
    routes.push({ template, regex: new RegExp(`^${pattern}$`), names, literals, methods })
  }
  // Literal segments win over parameters (/git/refs before /git/refs/{ref}).
  routes.sort((a, b) => b.literals - a.literals)
  loaded = { spec, routes }
  return loaded
}

function resolveParam(spec: Spec, p: Parameter): Parameter {
  return p.$ref ? spec.components.parameters[p.$ref.split('/').pop()!] : p
}

function resolve(spec: Spec, schema: Schema): Schema {
  let s = schema
  while (s.$ref) s = spec.components.schemas[s.$ref.split('/').pop()!]
  return s
}

/** The operation GitHub has for this method and path, or undefined (GitHub answers 404). */
export function matchOperation(method: string, pathname: string): MatchedOperation | undefined {
  const { routes } = load()
  for (const route of routes) {
    const m = route.regex.exec(pathname)
    if (!m) continue
    const operation = route.methods[method.toUpperCase()]
    if (!operation) continue
    const params: Record<string, string> = {}
    route.names.forEach((name, i) => {
      params[name] = decodeURIComponent(m[i + 1])
    })
    return { operationId: operation.operationId, template: route.template, params, operation }
  }
  return undefined
}

function typeName(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}

function check(spec: Spec, schema: Schema, value: unknown, where: string, problems: string[]): void {
  const s = resolve(spec, schema)
  if (value === null) {
    if (!s.nullable && s.type !== 'null') problems.push(`For '${where}', nil is not a ${s.type ?? 'value'}.`)
    return
  }
  if (s.oneOf || s.anyOf) {
    const options = (s.oneOf ?? s.anyOf)!
    const fits = options.some(option => {
      const sub: string[] = []
      check(spec, option, value, where, sub)
      return sub.length === 0
    })
    if (!fits) problems.push(`For '${where}', ${JSON.stringify(value)} is not any of the allowed forms.`)
    return
  }
  for (const part of s.allOf ?? []) check(spec, part, value, where, problems)
  const actual = typeName(value)
  switch (s.type) {
    case 'object':
      if (actual !== 'object') {
        problems.push(`For '${where}', ${JSON.stringify(value)} is not an object.`)
        return
      }
      for (const key of s.required ?? []) {
        if (!(key in (value as object))) problems.push(`"${key}" wasn't supplied.`)
      }
      for (const [key, sub] of Object.entries(s.properties ?? {})) {
        const v = (value as Record<string, unknown>)[key]
        if (v !== undefined) check(spec, sub, v, `${where}/${key}`, problems)
      }
      return
    case 'array':
      if (actual !== 'array') {
        problems.push(`For '${where}', ${JSON.stringify(value)} is not an array.`)
        return
      }
      if (s.minItems !== undefined && (value as unknown[]).length < s.minItems) {
        problems.push(`For '${where}', the array has fewer than ${s.minItems} items.`)
      }
      if (s.items) (value as unknown[]).forEach((v, i) => check(spec, s.items!, v, `${where}/${i}`, problems))
      return
    case 'integer':
      if (actual !== 'number' || !Number.isInteger(value)) {
        problems.push(`For '${where}', ${JSON.stringify(value)} is not an integer.`)
      }
      return
    case 'number':
    case 'string':
    case 'boolean':
      if (actual !== s.type) {
        problems.push(`For '${where}', ${JSON.stringify(value)} is not a ${s.type}.`)
        return
      }
      if (s.enum && !s.enum.includes(value)) {
        problems.push(
          `For '${where}', ${JSON.stringify(value)} is not a member of ${JSON.stringify(s.enum)}.`
        )
      }
      return
    default:
      return
  }
}

/**
 * Problems GitHub's schema validation would report for this body (empty when it is acceptable),
 * worded as GitHub words them after "Invalid request.\n\n".
 */
export function checkBody(match: MatchedOperation, body: unknown): string[] {
  const { spec } = load()
  const requestBody = match.operation.requestBody
  if (!requestBody) return []
  const schema = requestBody.content?.['application/json']?.schema
  if (body === undefined) return requestBody.required ? ['No data was supplied.'] : []
  if (!schema) return []
  const problems: string[] = []
  check(spec, schema, body, 'properties', problems)
  return problems
}
