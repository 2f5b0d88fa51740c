import { fileURLToPath } from 'node:url'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

// Users run dist/index.js, not src/: a change to src/ without a rebuild ships old code.
test('dist/ is what the sources build', () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
  const out = mkdtempSync(path.join(tmpdir(), 'dist-check-'))
  try {
    execFileSync(
      process.execPath,
      [
        path.join(root, 'node_modules/@vercel/ncc/dist/ncc/cli.js'),
        'build',
        'src/index.ts',
        '-o',
        out,
        '--license',
        'licenses.txt',
        '--target',
        'es2022',
        '--quiet'
      ],
      { cwd: root, stdio: 'pipe' }
    )
    const built = readFileSync(path.join(out, 'index.js'), 'utf8')
    const committed = readFileSync(path.join(root, 'dist/index.js'), 'utf8')
    if (built !== committed) {
      throw new Error('dist/index.js is stale: run `npm run build` and commit dist/.')
    }
    expect(built).toBe(committed)
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
}, 120000)
