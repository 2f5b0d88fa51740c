/**
 * The parts of Genesys Cloud's models this action reads (names as in the official SDK's Models).
 * Objects keep every other field the API sends: queues, skills and data actions are written out whole.
 */

export interface EntityRef {
  id?: string
  name?: string
  selfUri?: string
}

export interface FlowVersion {
  /** Like "3.0"; changes on every publish. */
  id?: string
  name?: string
  commitVersion?: string
  configurationVersion?: string
  type?: string
  datePublished?: string
  generationId?: string
  [key: string]: unknown
}

export interface Flow {
  id: string
  name: string
  /** Upper case as the API sends it: INBOUNDCALL, COMMONMODULE, WORKFLOW, ... */
  type: string
  description?: string
  division?: EntityRef
  active?: boolean
  system?: boolean
  deleted?: boolean
  publishedVersion?: FlowVersion
  savedVersion?: FlowVersion
  checkedInVersion?: FlowVersion
  debugVersion?: FlowVersion
  selfUri?: string
  [key: string]: unknown
}

export interface Dependency {
  id: string
  name?: string
  version?: string
  /** QUEUE, ACDSKILL, DATAACTION, INBOUNDCALLFLOW, WORKFLOW, ... */
  type: string
  deleted?: boolean
  updated?: boolean
  stateUnknown?: boolean
  selfUri?: string
}

export interface Queue {
  id: string
  name?: string
  division?: EntityRef
  [key: string]: unknown
}

export interface Skill {
  id: string
  name?: string
  division?: EntityRef
  state?: string
  [key: string]: unknown
}

export interface DataActionContract {
  input?: { inputSchema?: unknown; [key: string]: unknown }
  output?: { successSchema?: unknown; [key: string]: unknown }
  [key: string]: unknown
}

export interface DataAction {
  /** `custom_-_<uuid>`; built-in ones start with `static`. */
  id: string
  name?: string
  integrationId?: string
  category?: string
  contract?: DataActionContract
  config?: { request?: Record<string, unknown>; response?: Record<string, unknown>; [key: string]: unknown }
  version?: number
  secure?: boolean
  [key: string]: unknown
}

export interface EntityListing<T> {
  entities?: T[]
  pageSize?: number
  pageNumber?: number
  total?: number
  pageCount?: number
  firstUri?: string
  lastUri?: string
  nextUri?: string
  previousUri?: string
  selfUri?: string
}

export interface ExportJobMessage {
  dateTime?: string
  type?: string
  text?: string
}

/** GET /api/v2/flows/export/jobs/{jobId}. */
export interface ExportJobState {
  id?: string
  status?: 'Registered' | 'Started' | 'Success' | 'Failure' | string
  command?: string
  downloadUrl?: string
  messages?: ExportJobMessage[]
}

/** POST /api/v2/flows/export/jobs. */
export interface ExportJobCreated {
  id?: string
  status?: string
  totalFlows?: number
}
