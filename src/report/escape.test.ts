import fc from 'fast-check'
import { codeSpan, escapeMarkdown, sanitizeText, truncateText } from './escape.js'
import {
  hasLiveMention,
  inlinePieces,
  outsideCodeSpans,
  renderedText
} from '../../test/support/markdown-scan.js'

/** Characters that would be markdown/HTML syntax if they appeared outside code spans unescaped. */
const SYNTAX = /[`*_[\]<>|!~&$\\#]/

function rawSyntaxOutsideCode(md: string): string[] {
  return inlinePieces(md)
    .filter(p => p.kind === 'text')
    .flatMap(p => Array.from(p.value).filter(ch => SYNTAX.test(ch)))
}

describe('escapeMarkdown', () => {
  it.each([
    ['@everyone', '`@everyone`'],
    ['ping @org/team now', 'ping `@org/team` now'],
    ['fixes #12', 'fixes `#12`'],
    ['see GH-7', 'see `GH-7`']
  ])('puts %j in a code span, where GitHub neither mentions nor links', (input, expected) => {
    expect(escapeMarkdown(input)).toBe(expected)
  })

  it('cannot mention anyone, whatever precedes the @', () => {
    for (const name of [
      '@everyone',
      'x.@team',
      '(@admin)',
      'a@b.com',
      '\\@user',
      '**@bold**',
      'mail:@x',
      '@@a'
    ]) {
      const out = escapeMarkdown(name)
      expect(hasLiveMention(out)).toBe(false)
      expect(hasLiveMention(`**${out}**`)).toBe(false)
      expect(hasLiveMention(`- ${out}`)).toBe(false)
    }
  })

  it('does not let URLs become links', () => {
    const out = escapeMarkdown('see https://evil.example/x?a=1 and www.evil.example')
    expect(outsideCodeSpans(out)).not.toMatch(/https?:|www\./)
    expect(renderedText(out)).toBe('see https://evil.example/x?a=1 and www.evil.example')
  })

  it('escapes HTML so it stays text', () => {
    const out = escapeMarkdown('<img src=x onerror=alert(1)>')
    expect(out).toBe('\\<img src=x onerror=alert(1)\\>')
    expect(rawSyntaxOutsideCode(out)).toEqual([])
  })

  it('escapes emphasis, links, images, tables, strikethrough, math and entities', () => {
    const input = '*bold* _it_ [link](u) ![img](u) a|b ~~s~~ $x$ &amp; `code`'
    const out = escapeMarkdown(input)
    expect(rawSyntaxOutsideCode(out)).toEqual([])
    expect(out).toContain('a\\|b')
    expect(renderedText(out)).toBe(input)
  })

  it('keeps a table cell whole', () => {
    const row = `| ${escapeMarkdown('left | right')} | 1 |`
    // GFM splits cells at pipes that are not backslash-escaped.
    expect(row.split(/(?<!\\)\|/).length - 2).toBe(2)
  })

  it('escapes a backtick so a name cannot open a code span', () => {
    const out = escapeMarkdown('a `b` c')
    expect(inlinePieces(out).some(p => p.kind === 'code')).toBe(false)
    expect(renderedText(out)).toBe('a `b` c')
  })

  it('removes bidi overrides, zero-width and control characters and flattens line breaks', () => {
    const out = escapeMarkdown('safe\u202Etxt.exe\u2066x\u2069\u200B\nnext\r\nline\u0007\u0000\tend')
    expect(out).toBe('safetxt.exex next line end')
  })

  it('escapes block syntax at the start only when it would be block syntax', () => {
    expect(escapeMarkdown('- item')).toBe('\\- item')
    expect(escapeMarkdown('+ item')).toBe('\\+ item')
    expect(escapeMarkdown('1. first')).toBe('1\\. first')
    expect(escapeMarkdown('# heading')).toBe('\\# heading')
    expect(escapeMarkdown('> quote')).toBe('\\> quote')
    expect(escapeMarkdown('3.0')).toBe('3.0')
    expect(escapeMarkdown('Main-IVR v1.2')).toBe('Main-IVR v1.2')
  })

  it('keeps ordinary names as they are', () => {
    expect(escapeMarkdown('Sales Queue (EMEA)')).toBe('Sales Queue (EMEA)')
    expect(escapeMarkdown('Ünïcödé 日本語 🎧')).toBe('Ünïcödé 日本語 🎧')
  })

  it('never produces live syntax, mentions or line breaks, and reads as the sanitized original (property)', () => {
    const alphabet = fc.constantFrom(
      ...'@#`*_[]<>|!~&$\\/:.-+= ()aZ09\n\t\u202E\u200B'.split(''),
      'http://',
      'www.',
      '@a',
      '#1',
      'GH-2',
      'deadbeef1'
    )
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(alphabet, { maxLength: 30 }).map(a => a.join(''))
        ),
        input => {
          const out = escapeMarkdown(input)
          expect(out).not.toMatch(/[\r\n\u202A-\u202E\u2066-\u2069\u200B]/)
          expect(hasLiveMention(out)).toBe(false)
          expect(outsideCodeSpans(out)).not.toMatch(/#\d|https?:\/\/|www\./i)
          expect(rawSyntaxOutsideCode(out)).toEqual([])
          expect(renderedText(out)).toBe(sanitizeText(input))
        }
      ),
      { numRuns: 500 }
    )
  })
})

describe('codeSpan', () => {
  it('uses a fence longer than any backtick run inside', () => {
    expect(codeSpan('a`b')).toBe('``a`b``')
    expect(codeSpan('``x``')).toBe('``` ``x`` ```')
    expect(codeSpan('plain')).toBe('`plain`')
  })

  it('holds any text verbatim on one line (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), text => {
        const clean = sanitizeText(text)
        fc.pre(clean !== '')
        const pieces = inlinePieces(codeSpan(text))
        expect(pieces).toEqual([{ kind: 'code', value: clean }])
      }),
      { numRuns: 300 }
    )
  })

  it('escapes pipes in table cells', () => {
    expect(codeSpan('a|b', { table: true })).toBe('`a\\|b`')
  })

  it('says (empty) for empty text', () => {
    expect(codeSpan('')).toBe('(empty)')
  })
})

describe('truncateText', () => {
  it('cuts with an ellipsis and never splits a surrogate pair', () => {
    expect(truncateText('abcdef', 4)).toBe('abc…')
    expect(truncateText('abc', 4)).toBe('abc')
    const cut = truncateText('ab🎧cd', 4)
    expect(cut).toBe('ab…')
    expect(cut.length).toBeLessThanOrEqual(4)
  })
})
