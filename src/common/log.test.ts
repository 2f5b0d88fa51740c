import { ANNOTATIONS_PER_STEP, memoryLog, withAnnotationBudget } from './log.js'

describe('withAnnotationBudget', () => {
  test('passes warnings and errors through while they fit', () => {
    const inner = memoryLog()
    const log = withAnnotationBudget(inner)
    log.warning('w', { file: 'genesys/a.yaml', title: 'Drift' })
    log.error('e', { file: 'genesys/b.yaml', line: 3 })
    log.info('i')
    expect(inner.lines).toEqual([
      { level: 'warning', message: 'w', annotation: { file: 'genesys/a.yaml', title: 'Drift' } },
      { level: 'error', message: 'e', annotation: { file: 'genesys/b.yaml', line: 3 } },
      { level: 'info', message: 'i' }
    ])
  })

  test('never asks for more annotations than GitHub shows, leaves one error for the failure, and loses no message', () => {
    const inner = memoryLog()
    const log = withAnnotationBudget(inner)
    const files = Array.from({ length: 25 }, (_, i) => `genesys/queues/q${i}.yaml`)
    for (const [i, file] of files.entries()) {
      log.warning(`queue ${i} changed`, { file, title: `Drift: queue ${i}` })
      log.error(`queue ${i} is invalid`, { file, line: i + 1, title: 'Snapshot validation' })
    }
    const warnings = inner.lines.filter(l => l.level === 'warning')
    const errors = inner.lines.filter(l => l.level === 'error')
    expect(warnings).toHaveLength(ANNOTATIONS_PER_STEP)
    expect(errors).toHaveLength(ANNOTATIONS_PER_STEP - 1)
    // The last annotation of each level says where the others went.
    expect(warnings.at(-1)!.message).toMatch(/More warnings than GitHub shows.*"warning:"/)
    expect(errors.at(-1)!.message).toMatch(/More errors than GitHub shows.*"error:"/)
    // Every message is somewhere: as an annotation, or as a log line naming its file, line and title.
    const infos = inner.lines.filter(l => l.level === 'info').map(l => l.message)
    for (const [i, file] of files.entries()) {
      const warned =
        warnings.some(w => w.message === `queue ${i} changed` && w.annotation?.file === file) ||
        infos.includes(`warning: ${file}: Drift: queue ${i}: queue ${i} changed`)
      const errored =
        errors.some(e => e.message === `queue ${i} is invalid` && e.annotation?.file === file) ||
        infos.includes(`error: ${file}:${i + 1}: Snapshot validation: queue ${i} is invalid`)
      expect([i, warned, errored]).toEqual([i, true, true])
    }
    expect(infos).toHaveLength(25 - (ANNOTATIONS_PER_STEP - 1) + 25 - (ANNOTATIONS_PER_STEP - 2))
  })

  test('a message without a file still reaches the log once the budget is spent', () => {
    const inner = memoryLog()
    const log = withAnnotationBudget(inner, 3)
    for (let i = 0; i < 4; i++) log.warning(`w${i}`)
    expect(inner.lines.map(l => `${l.level} ${l.message.slice(0, 20)}`)).toEqual([
      'warning w0',
      'warning w1',
      'warning More warnings than G',
      'info warning: w2',
      'info warning: w3'
    ])
  })
})
