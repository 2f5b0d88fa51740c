/** Architect dependency tracking: consumed resources of a flow version, and the index build status. */
import type { Route } from '../core.js'
import { consumedResources } from '../entities.js'
import { badRequest, json, listing, multiParam, notFound } from '../http.js'
import { flowObjectType } from '../state.js'
import { SIM_FLOW_TYPES } from '../types.js'

const FLOW_OBJECT_TYPES = new Map<string, string>(SIM_FLOW_TYPES.map(t => [flowObjectType(t), t]))

/** Dependency types the service knows (from the SDK's Dependency.type enum). */
const KNOWN_TYPES = new Set([
  ...FLOW_OBJECT_TYPES.keys(),
  'ACDLANGUAGE',
  'ACDSKILL',
  'ACDWRAPUPCODE',
  'AUDIOCONNECTORBOT',
  'BOTCONNECTORBOT',
  'BOTCONNECTORINTEGRATION',
  'BRIDGEACTION',
  'COMPOSERSCRIPT',
  'CONTACTLIST',
  'DATAACTION',
  'DATATABLE',
  'DIALOGENGINEBOT',
  'DIALOGENGINEBOTVERSION',
  'DIALOGFLOWAGENT',
  'DIALOGFLOWCXAGENT',
  'EMAILROUTE',
  'EMERGENCYGROUP',
  'FLOWACTION',
  'FLOWDATATYPE',
  'FLOWMILESTONE',
  'FLOWOUTCOME',
  'GRAMMAR',
  'GROUP',
  'IMAGE',
  'IVRCONFIGURATION',
  'KNOWLEDGEBASE',
  'KNOWLEDGEBASEDOCUMENT',
  'LANGUAGE',
  'LEXBOT',
  'LEXBOTALIAS',
  'LEXV2BOT',
  'LEXV2BOTALIAS',
  'NLUDOMAIN',
  'NUANCEMIXBOT',
  'NUANCEMIXINTEGRATION',
  'OAUTHCLIENT',
  'QUEUE',
  'RECORDINGPOLICY',
  'RESPONSE',
  'SCHEDULE',
  'SCHEDULEGROUP',
  'SECUREACTION',
  'STTENGINE',
  'SURVEYFORM',
  'SYSTEMPROMPT',
  'TTSENGINE',
  'TTSVOICE',
  'USER',
  'USERPROMPT',
  'UTILIZATIONLABEL',
  'WIDGET',
  'WORKTYPE'
])

export const dependencyRoutes: Route[] = [
  {
    method: 'GET',
    template: '/api/v2/architect/dependencytracking/consumedresources',
    kind: 'api',
    handle(core, req) {
      const id = req.query.get('id')
      const version = req.query.get('version')
      const objectType = req.query.get('objectType')
      if (!id) throw badRequest(req, "Missing the required parameter 'id'.")
      if (!version) throw badRequest(req, "Missing the required parameter 'version'.")
      if (!objectType) throw badRequest(req, "Missing the required parameter 'objectType'.")
      const upper = objectType.toUpperCase()
      const untracked = core.faults().untrackedFlowTypes
      if (untracked.includes(FLOW_OBJECT_TYPES.get(upper) ?? ''))
        throw badRequest(req, `Invalid objectType '${objectType}'.`)
      if (!KNOWN_TYPES.has(upper)) throw badRequest(req, `Invalid objectType '${objectType}'.`)
      if (!FLOW_OBJECT_TYPES.has(upper))
        throw badRequest(
          req,
          `Object type '${objectType}' is not versioned; only flow types are allowed here.`
        )
      const resourceTypes = multiParam(req, 'resourceType').map(t => t.toUpperCase())
      for (const t of resourceTypes)
        if (!KNOWN_TYPES.has(t)) throw badRequest(req, `Invalid resourceType '${t}'.`)
      const f = core.state.flowById.get(id)
      const major = /^(\d+)\.0$/.exec(version)
      if (
        !f ||
        f.deleted ||
        flowObjectType(f.type) !== upper ||
        f.version === 0 ||
        !major ||
        Number(major[1]) < 1 ||
        Number(major[1]) > f.version
      )
        throw notFound(
          req,
          `Could not find a dependency tracking object with id '${id}', version '${version}' and type '${objectType}'.`
        )
      const stale = new Set(core.faults().reportedDeletedIds)
      const absent =
        core.faults().unindexedFlowIds.includes(f.id) || core.faults().failedIndexFlowIds.includes(f.id)
      const all = (absent ? [] : consumedResources(core.state, f)).map(d =>
        d.id !== undefined && stale.has(d.id) ? { ...d, deleted: true } : d
      )
      const filtered =
        resourceTypes.length === 0 ? all : all.filter(d => resourceTypes.includes(d.type ?? ''))
      // The repeatedDependencyFlowIds fault: the first entry listed twice, and counted in the total.
      const listed =
        core.faults().repeatedDependencyFlowIds.includes(f.id) && filtered.length > 0
          ? [...filtered, { ...filtered[0] }]
          : filtered
      return json(
        200,
        listing(req, listed, {
          maxPageSize: 500,
          shiftOnce: core.shiftOnce('GET /api/v2/architect/dependencytracking/consumedresources')
        })
      )
    }
  },
  {
    method: 'GET',
    template: '/api/v2/architect/dependencytracking/build',
    kind: 'api',
    handle(core) {
      const now = core.settings.clock.now()
      const status = core.faults().dependencyBuildStatus
      const done = status !== 'BUILDINPROGRESS'
      return json(200, {
        id: 'build',
        name: 'Dependency tracking build',
        buildId: core.state.orgId,
        dateStarted: new Date(now - 3_600_000).toISOString(),
        ...(done ? { dateCompleted: new Date(now - 3_000_000).toISOString() } : {}),
        status,
        failedObjects: core.faults().failedIndexFlowIds.flatMap(id => {
          const f = core.state.flowById.get(id)
          return f ? [{ id, version: `${f.version}.0`, name: f.name, errorCode: 'FLOW_PARSE_FAILED' }] : []
        }),
        selfUri: '/api/v2/architect/dependencytracking/build'
      })
    }
  }
]
