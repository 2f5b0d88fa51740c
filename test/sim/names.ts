/**
 * Names for the simulated org: ordinary ones that read like a real contact centre, and the awkward
 * ones real orgs end up with, which a snapshot tool must turn into safe, unique, stable file names
 * and must render without breaking markdown or pinging anyone.
 */
import type { Rng } from './random.js'

export type AwkwardKind = 'flow' | 'queue' | 'skill' | 'dataAction'

export interface AwkwardName {
  kind: AwkwardKind
  name: string
  /** Flows: the preferred type (falls back to an available one). Pairs that must share a folder share a type. */
  flowType?: string
  /** What makes it awkward, for test messages. */
  why: string
}

const LONG_NAME = ('Very long flow name ' + 'x'.repeat(20) + ' ').repeat(25).slice(0, 999) + 'Z'

/**
 * Every awkward name the default org holds. Names used as YAML map keys elsewhere (common modules,
 * bots, data actions) stay well under YAML's 1024-character implicit-key limit.
 */
export const AWKWARD_NAMES: readonly AwkwardName[] = [
  { kind: 'flow', flowType: 'inboundcall', name: 'Café Support IVR', why: 'NFC accented' },
  { kind: 'flow', flowType: 'inboundcall', name: 'Cafe\u0301 Support IVR', why: 'NFD form of the NFC name' },
  { kind: 'flow', flowType: 'inboundcall', name: '日本語サポート窓口', why: 'CJK' },
  { kind: 'flow', flowType: 'inboundshortmessage', name: 'Emoji 🎉 Chat 💬', why: 'emoji (astral plane)' },
  { kind: 'flow', flowType: 'inboundcall', name: 'Sales/Support\\Routing', why: 'slash and backslash' },
  { kind: 'flow', flowType: 'inqueuecall', name: 'The "Quoted" \'Hold\' Flow', why: 'quotes' },
  { kind: 'flow', flowType: 'workflow', name: '..', why: 'dot-dot' },
  { kind: 'flow', flowType: 'inboundcall', name: '../../etc/passwd', why: 'path traversal' },
  { kind: 'flow', flowType: 'workflow', name: '.hidden workflow', why: 'leading dot' },
  { kind: 'flow', flowType: 'inboundcall', name: 'Billing IVR', why: 'case pair (upper)' },
  { kind: 'flow', flowType: 'inboundcall', name: 'billing ivr', why: 'case pair (lower)' },
  { kind: 'flow', flowType: 'inboundcall', name: 'CON', why: 'Windows reserved device name' },
  { kind: 'flow', flowType: 'workflow', name: 'nul.txt', why: 'Windows reserved device name with extension' },
  { kind: 'flow', flowType: 'inqueuecall', name: 'COM1', why: 'Windows reserved device name' },
  { kind: 'flow', flowType: 'workflow', name: 'Tab\there\u0007bell\nnewline', why: 'control characters' },
  { kind: 'flow', flowType: 'inboundcall', name: LONG_NAME, why: '1,000 characters' },
  { kind: 'flow', flowType: 'inboundcall', name: '@everyone Main Line', why: 'mention' },
  {
    kind: 'flow',
    flowType: 'inboundcall',
    name: '**Bold** <img src=x onerror=alert(1)> [click](https://example.com)',
    why: 'markdown and HTML'
  },
  { kind: 'flow', flowType: 'workflow', name: '- item: value # &anchor *alias <<', why: 'YAML specials' },
  { kind: 'flow', flowType: 'inboundcall', name: 'Customer Care', why: 'same name, two types (call)' },
  { kind: 'flow', flowType: 'inqueuecall', name: 'Customer Care', why: 'same name, two types (in-queue)' },
  {
    kind: 'flow',
    flowType: 'commonmodule',
    name: 'Common: "Lookup" #1 & more',
    why: 'module name used as a YAML key'
  },
  { kind: 'queue', name: 'Support / Tier 2', why: 'slash' },
  { kind: 'queue', name: 'Ventes – Équipe française', why: 'accents and en dash' },
  { kind: 'queue', name: 'サポートキュー', why: 'CJK' },
  { kind: 'queue', name: 'VIP Queue', why: 'case pair (upper)' },
  { kind: 'queue', name: 'vip queue', why: 'case pair (lower)' },
  { kind: 'queue', name: 'Crème Brûlée Team', why: 'NFC accented' },
  { kind: 'queue', name: 'Cre\u0300me Bru\u0302le\u0301e Team', why: 'NFD form of the NFC name' },
  { kind: 'queue', name: 'AUX', why: 'Windows reserved device name' },
  { kind: 'queue', name: '.Escalations', why: 'leading dot' },
  { kind: 'queue', name: 'Queue: "special" #1 ', why: 'YAML specials, trailing space' },
  { kind: 'queue', name: '@here [Escalate](javascript:alert(1))', why: 'mention and markdown link' },
  { kind: 'skill', name: 'Español', why: 'accent' },
  { kind: 'skill', name: 'C++ / C#', why: 'slash and symbols' },
  { kind: 'skill', name: 'yes', why: 'YAML 1.1 boolean' },
  { kind: 'skill', name: 'LPT1', why: 'Windows reserved device name' },
  { kind: 'skill', name: '中文', why: 'CJK' },
  {
    kind: 'dataAction',
    name: 'Get Customer - Exported 2021-04-15 @ 19:00',
    why: 'export suffix with @ and :'
  },
  { kind: 'dataAction', name: 'Lookup "VIP" status', why: 'quotes' },
  { kind: 'dataAction', name: 'Créer un rappel', why: 'accent' },
  { kind: 'dataAction', name: '../escape/action', why: 'path traversal' },
  { kind: 'dataAction', name: 'CRM: Get Account #2', why: 'YAML specials' }
]

const AREAS = [
  'Sales',
  'Support',
  'Billing',
  'Claims',
  'Retail Banking',
  'Premium',
  'After Hours',
  'Collections',
  'Returns',
  'Tech Support',
  'Loyalty',
  'Onboarding',
  'Payments',
  'Accounts',
  'Renewals',
  'Travel',
  'Home Insurance',
  'Mortgages',
  'Fraud',
  'Pharmacy',
  'Warranty',
  'Orders',
  'Deliveries',
  'Business Banking',
  'Student Services',
  'HR Helpdesk',
  'IT Service Desk',
  'Roadside Assistance'
]

const REGIONS = ['US', 'UK', 'EMEA', 'APAC', 'LATAM', 'Canada', 'Germany', 'France', 'Spain', 'Japan']

const FLOW_SUFFIX: Record<string, readonly string[]> = {
  bot: ['Bot', 'Virtual Agent', 'FAQ Bot'],
  commonmodule: ['Module', 'Common Module', 'Lookup Module', 'Hours Check'],
  digitalbot: ['Digital Bot', 'Digital Assistant'],
  emailsend: ['Email Send', 'Outbound Email'],
  inboundcall: ['IVR', 'Main Menu', 'Inbound', 'Hotline'],
  inboundchat: ['Chat', 'Web Chat'],
  inboundemail: ['Email', 'Inbound Email'],
  inboundshortmessage: ['Messaging', 'Web Messaging', 'SMS'],
  inqueuecall: ['In-Queue', 'Hold Experience', 'Queue Music'],
  inqueueemail: ['In-Queue Email'],
  inqueueshortmessage: ['In-Queue Message', 'Message Hold'],
  outboundcall: ['Outbound', 'Campaign', 'Callback Dialer'],
  securecall: ['Secure Payment', 'Secure PIN'],
  speech: ['Speech', 'Speech Recognition'],
  surveyinvite: ['Survey Invite', 'Post-Call Survey Invite'],
  voice: ['Voice', 'Voice Journey'],
  voicemail: ['Voicemail', 'Mailbox'],
  voicesurvey: ['Voice Survey', 'CSAT Survey'],
  workflow: ['Workflow', 'Automation', 'Event Workflow'],
  workitem: ['Workitem Flow', 'Case Routing']
}

const QUEUE_SUFFIX = [
  'Inbound',
  'Tier 1',
  'Tier 2',
  'Callbacks',
  'Escalations',
  'Chat',
  'Email',
  'VIP',
  'Overflow'
]
const SKILLS = [
  'Spanish',
  'French',
  'German',
  'Japanese',
  'Mandarin',
  'Portuguese',
  'Tier 2',
  'Tier 3',
  'Escalations',
  'Mortgages',
  'Credit Cards',
  'Fraud Review',
  'Technical',
  'Enterprise Accounts',
  'Returns',
  'Warranty Claims',
  'Billing Disputes',
  'Supervisor',
  'Onboarding',
  'Retention'
]
const ACTION_VERBS = ['Get', 'Lookup', 'Create', 'Update', 'Check', 'Fetch', 'Send', 'Set', 'Find', 'Search']
const ACTION_OBJECTS = [
  'Customer by ANI',
  'Account Balance',
  'Open Cases',
  'Callback',
  'Order Status',
  'Loyalty Tier',
  'Agent Availability',
  'Outstanding Invoice',
  'Contact by Email',
  'Conversation Attributes',
  'Queue Estimated Wait',
  'Appointment',
  'Delivery Window',
  'Claim Status',
  'Customer Sentiment'
]

/** Hands out names unique within one namespace (case-insensitively, after NFC), like the real org. */
export class NameBook {
  private readonly folded = new Set<string>()

  /** Reserves a name exactly as given (awkward pairs may fold to the same key on purpose). */
  reserve(name: string): void {
    this.folded.add(fold(name))
  }

  has(name: string): boolean {
    return this.taken(name)
  }

  /** A fresh name from `make`, numbered if needed. */
  fresh(make: () => string): string {
    for (let attempt = 0; attempt < 20; attempt++) {
      const name = make()
      if (!this.taken(name)) return this.take(name)
    }
    const base = make()
    for (let n = 2; ; n++) {
      const name = `${base} ${n}`
      if (!this.taken(name)) return this.take(name)
    }
  }

  private taken(name: string): boolean {
    return this.folded.has(fold(name))
  }

  private take(name: string): string {
    this.folded.add(fold(name))
    return name
  }
}

function fold(name: string): string {
  return name.normalize('NFC').toLowerCase()
}

export function flowName(rng: Rng, type: string): string {
  const suffix = rng.pick(FLOW_SUFFIX[type] ?? ['Flow'])
  const area = rng.pick(AREAS)
  return rng.chance(0.3) ? `${area} ${suffix} - ${rng.pick(REGIONS)}` : `${area} ${suffix}`
}

export function queueName(rng: Rng): string {
  const name = `${rng.pick(AREAS)} ${rng.pick(QUEUE_SUFFIX)}`
  return rng.chance(0.25) ? `${name} ${rng.pick(REGIONS)}` : name
}

export function skillName(rng: Rng): string {
  return rng.chance(0.7) ? rng.pick(SKILLS) : `${rng.pick(SKILLS)} - ${rng.pick(REGIONS)}`
}

export function dataActionName(rng: Rng): string {
  return `${rng.pick(ACTION_VERBS)} ${rng.pick(ACTION_OBJECTS)}`
}

export function areaName(rng: Rng): string {
  return rng.pick(AREAS)
}

const SENTENCES = [
  'Thank you for calling. Your call is important to us.',
  'Please listen carefully as our menu options have changed.',
  'All of our agents are busy helping other customers.',
  'You can also find answers to common questions on our website.',
  'To hear these options again, press star.',
  'We are transferring you to the next available specialist.',
  'Your estimated wait time is less than five minutes.',
  'Please have your account number ready.',
  'Our offices are closed for the holiday. Please call back during business hours.',
  'For security, we need to verify your identity before we continue.',
  'We could not find an account matching that number.',
  'Press 1 to receive a callback instead of waiting on hold.',
  'This call may be recorded for quality and training purposes.',
  'Thanks for your patience, someone will be with you shortly.',
  'Sorry, an error occurred. Please try again later.'
]

export function sentence(rng: Rng): string {
  return rng.pick(SENTENCES)
}
