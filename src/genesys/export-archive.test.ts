import { zipSync, strToU8 } from 'fflate'
import {
  CorruptArchiveError,
  describeFlowYaml,
  entryStem,
  flowTypeOfYamlKey,
  matchEntriesToFlows,
  readExportDownload
} from './export-archive.js'

const yamlOf = (key: string, name: string): Buffer =>
  Buffer.from(`${key}:\n  name: ${name}\n  description: x\n`)
const zip = (files: Record<string, Buffer | string>): Buffer =>
  Buffer.from(
    zipSync(
      Object.fromEntries(
        Object.entries(files).map(([k, v]) => [k, typeof v === 'string' ? strToU8(v) : new Uint8Array(v)])
      )
    )
  )

const flows = [
  { id: 'aaaaaaaa-0000-0000-0000-000000000001', name: 'Main IVR', type: 'INBOUNDCALL', version: '3.0' },
  { id: 'aaaaaaaa-0000-0000-0000-000000000002', name: 'Main IVR', type: 'INQUEUECALL', version: '1.0' },
  { id: 'aaaaaaaa-0000-0000-0000-000000000003', name: 'Shared', type: 'COMMONMODULE', version: '2.0' }
]

describe('readExportDownload', () => {
  it('lists the files of a zip, without folders or macOS metadata', () => {
    const body = zip({ 'a.yaml': 'x: 1', 'dir/': '', 'dir/b.yaml': 'y: 2', '__MACOSX/._a.yaml': 'junk' })
    const entries = readExportDownload(body, 'application/zip')
    expect(entries.map(e => e.name).sort()).toEqual(['a.yaml', 'dir/b.yaml'])
    expect(entries.find(e => e.name === 'a.yaml')?.data.toString()).toBe('x: 1')
  })

  it('takes a plain body as one file', () => {
    const entries = readExportDownload(
      Buffer.from('inboundCall:\n  name: A\n'),
      'application/octet-stream',
      'x.yaml'
    )
    expect(entries).toEqual([{ name: 'x.yaml', data: Buffer.from('inboundCall:\n  name: A\n') }])
  })

  it('rejects a truncated zip, a "zip" that is not one, and an empty body', () => {
    const body = zip({ 'a.yaml': 'x: 1'.repeat(500), 'b.yaml': 'y: 2'.repeat(500) })
    expect(() =>
      readExportDownload(body.subarray(0, Math.floor(body.length / 2)), 'application/zip')
    ).toThrow(CorruptArchiveError)
    expect(() => readExportDownload(Buffer.from('<Error/>'), 'application/zip')).toThrow(CorruptArchiveError)
    expect(() => readExportDownload(Buffer.alloc(0), 'text/yaml')).toThrow(CorruptArchiveError)
  })
})

describe('names and YAML', () => {
  it('strips folders and the extensions an export adds', () => {
    expect(entryStem('exports/abc.yaml')).toBe('abc')
    expect(entryStem('abc.yaml.yaml')).toBe('abc')
    expect(entryStem('abc.i3InboundFlow')).toBe('abc')
    expect(entryStem('abc')).toBe('abc')
  })

  it('maps Archy top-level keys to flow types', () => {
    expect(flowTypeOfYamlKey('inboundCall')).toBe('inboundcall')
    expect(flowTypeOfYamlKey('botFlow')).toBe('bot')
    expect(flowTypeOfYamlKey('digitalBotFlow')).toBe('digitalbot')
    expect(flowTypeOfYamlKey('workflow')).toBe('workflow')
    expect(flowTypeOfYamlKey('inboundShortMessage')).toBe('inboundshortmessage')
    expect(flowTypeOfYamlKey('settings')).toBeUndefined()
  })

  it('reads type and name from a flow file', () => {
    expect(describeFlowYaml(yamlOf('commonModule', 'Shared'))).toEqual({
      type: 'commonmodule',
      name: 'Shared'
    })
    expect(describeFlowYaml(Buffer.from(': : not yaml ['))).toBeUndefined()
  })
})

describe('matchEntriesToFlows', () => {
  it('matches by the file name we asked for, robust to an added extension or folder', () => {
    const entries = [
      { name: `${flows[0].id}.yaml`, data: Buffer.from('one') },
      { name: `out/${flows[1].id}`, data: Buffer.from('two') },
      { name: `${flows[2].id.toUpperCase()}.YAML`, data: Buffer.from('three') }
    ]
    const { matched, unmatchedEntries } = matchEntriesToFlows(entries, flows)
    expect([...matched.keys()].sort()).toEqual(flows.map(f => f.id).sort())
    expect(matched.get(flows[1].id)?.data.toString()).toBe('two')
    expect(unmatchedEntries).toEqual([])
  })

  it('falls back to the YAML type and name, telling same-named flows of different types apart', () => {
    const entries = [
      { name: 'Main IVR_INQUEUECALL.yaml', data: yamlOf('inqueueCall', 'Main IVR') },
      { name: 'Main IVR.yaml', data: yamlOf('inboundCall', 'Main IVR') },
      { name: 'stranger.yaml', data: yamlOf('inboundCall', 'Somebody else') }
    ]
    const { matched, unmatchedEntries } = matchEntriesToFlows(entries, flows)
    expect(matched.get(flows[0].id)?.data.toString()).toContain('inboundCall')
    expect(matched.get(flows[1].id)?.data.toString()).toContain('inqueueCall')
    expect(matched.has(flows[2].id)).toBe(false)
    expect(unmatchedEntries).toEqual(['stranger.yaml'])
  })

  it('tells apart names that differ only in case, by exact name first', () => {
    const pair = [
      { id: 'b1', name: 'Billing IVR', type: 'INBOUNDCALL' },
      { id: 'b2', name: 'billing ivr', type: 'INBOUNDCALL' }
    ]
    const entries = [
      { name: 'x.yaml', data: yamlOf('inboundCall', 'billing ivr') },
      { name: 'y.yaml', data: yamlOf('inboundCall', 'Billing IVR') }
    ]
    const { matched } = matchEntriesToFlows(entries, pair)
    expect(matched.get('b1')?.data.toString()).toContain('Billing IVR')
    expect(matched.get('b2')?.data.toString()).toContain('billing ivr')
  })

  it('takes a lone file for a lone flow whatever its name', () => {
    const { matched } = matchEntriesToFlows([{ name: 'whatever.yaml', data: Buffer.from('x') }], [flows[2]])
    expect(matched.get(flows[2].id)?.data.toString()).toBe('x')
  })
})
