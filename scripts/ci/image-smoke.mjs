#!/usr/bin/env node
// The container image built from the repository's Dockerfile with podman, for scripts/ci/deploy-smoke.mjs
// --image (which runs its smoke checks against the container instead of the deploy directory).
//
// node:24-slim cannot be pulled here (no container registry is reachable, the npm registry and the Debian
// mirror are), so the Dockerfile is built with `--build-arg NODE_IMAGE=` a local stand-in for it, made
// once and kept in podman's image store: Debian bookworm minbase (debootstrap from the Debian mirror,
// `podman import`), the pinned Node 24 binary of scripts/ci/node.sh, the npm that Node release bundles
// (npx runs pnpm in the build stage) and the `node` user (uid/gid 1000) of the official Node images.
//
// What this machine (a VM, root without CAP_SYS_RESOURCE, cgroups v1 + v2 "hybrid", no systemd) needs:
//   - runc: crun, Debian's default runtime, refuses hybrid cgroups ("cgroups in hybrid mode not
//     supported, drop all controllers from cgroupv2");
//   - cgroupfs cgroup manager and file events log (no systemd, no journald);
//   - explicit ulimits: podman's defaults (nofile 1048576, nproc 32768) are above this process's hard
//     limits, and raising them is not permitted ("setrlimit `RLIMIT_NOFILE`: Operation not permitted");
//   - `--format docker`: the OCI format drops the HEALTHCHECK.
// A custom CA for the npm registry (NODE_EXTRA_CA_CERTS, e.g. a TLS-intercepting proxy) is copied into the
// base image and named by its NODE_EXTRA_CA_CERTS, which both stages inherit; proxy variables are passed
// as build args (predefined, not kept in the image). The pnpm store and npm cache of the build stage are
// host directories kept next to the Node 24 cache, so a rebuild downloads nothing it has seen.
//
//   node scripts/ci/image-smoke.mjs      prepare the base (idempotent), build the image, print its name
import { execFile, spawnSync } from 'node:child_process'
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
// The cache directory of scripts/ci/node.sh.
const CACHE =
  process.env.PSI_NODE_CACHE ??
  path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'psitransfer-ci')
// The npm that Node 24.22.3 bundles (its CHANGELOG: "upgrade npm to 11.19.1").
const NPM_VERSION = '11.19.1'
// Bump when the base image recipe below changes, so that a cached base is rebuilt.
const BASE_RECIPE = 1
const DEBIAN_SUITE = 'bookworm'
const DEBIAN_MIRROR = process.env.PSI_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian'
const DEBIAN_IMAGE = `localhost/psitransfer-ci-debian:${DEBIAN_SUITE}-minbase`
export const IMAGE = 'localhost/psitransfer-ts:ci-smoke'

const onPath = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0
const hybridCgroups = !existsSync('/sys/fs/cgroup/cgroup.controllers')
const GLOBAL = [
  '--cgroup-manager=cgroupfs',
  '--events-backend=file',
  ...(hybridCgroups ? ['--runtime=runc'] : []),
]

/** ulimits the container may have: this process's hard limits (it may not raise them). */
export function ulimitArgs() {
  const limits = readFileSync('/proc/self/limits', 'utf8')
  const hard = (name, cap) => {
    const v = new RegExp(`^${name}\\s+\\S+\\s+(\\S+)`, 'm').exec(limits)?.[1]
    return v === undefined || v === 'unlimited' ? cap : Math.min(Number(v), cap)
  }
  const nofile = hard('Max open files', 1_048_576)
  // Above 32768 fails here whatever this process has (conmon runs with that); the server needs dozens.
  const nproc = hard('Max processes', 4096)
  return ['--ulimit', `nofile=${nofile}:${nofile}`, '--ulimit', `nproc=${nproc}:${nproc}`]
}

/** Runs podman with this machine's settings; throws with its output when it fails, unless `allowFail`. */
export function podman(args, { allowFail = false, input, stdio } = {}) {
  const r = spawnSync('podman', [...GLOBAL, ...args], {
    encoding: 'utf8',
    input,
    stdio,
    maxBuffer: 64 * 1024 * 1024,
  })
  if (r.error) throw r.error
  if (r.status !== 0 && !allowFail) {
    throw new Error(`podman ${args.join(' ')} failed (${r.status}):\n${r.stdout ?? ''}${r.stderr ?? ''}`)
  }
  return r
}

// Debian package: the command it provides.
const PACKAGES = {
  podman: 'podman',
  runc: 'runc',
  'containernetworking-plugins': '/usr/lib/cni/bridge', // podman's bridge network (-p)
  debootstrap: 'debootstrap',
}

/**
 * Why the image cannot be tested on this machine, or undefined when it can. Installs podman, runc and
 * debootstrap from Debian when they are missing (like the S3 tests install radosgw).
 */
export function imageTestUnavailable(step) {
  if (process.env.PSI_IMAGE_SMOKE === '0') return 'PSI_IMAGE_SMOKE=0'
  if (process.platform !== 'linux' || process.arch !== 'x64')
    return `${process.platform}-${process.arch} is not linux-x64`
  if (process.getuid?.() !== 0) return 'not root (this runs rootful podman)'
  const missing = () => Object.keys(PACKAGES).filter((p) => !onPath(PACKAGES[p]))
  if (missing().length) {
    step(`apt-get install ${missing().join(' ')}`)
    const apt = spawnSync(path.join(ROOT, 'scripts/ci/apt-install.sh'), ['--log', 'podman', ...missing()], {
      stdio: ['ignore', 'inherit', 'pipe'],
      encoding: 'utf8',
    })
    if (apt.status !== 0) return apt.stderr.trim().split('\n').at(-1) || 'apt-get install failed'
  }
  const info = podman(['info'], { allowFail: true })
  if (info.status !== 0) return `podman info failed: ${info.stderr.trim().split('\n')[0]}`
  return undefined
}

/** podman without blocking this process: resolves to { status, stdout, stderr }. */
export function podmanAsync(args) {
  return new Promise((resolve, reject) => {
    execFile('podman', [...GLOBAL, ...args], (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') reject(err)
      else resolve({ status: err ? err.code : 0, stdout, stderr })
    })
  })
}

function podmanImageExists(image) {
  return podman(['image', 'exists', image], { allowFail: true }).status === 0
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts })
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${args.join(' ')} failed (${r.error?.message ?? r.status}):\n${r.stdout ?? ''}${r.stderr ?? ''}`,
    )
  return r.stdout
}

/** Debian minbase as an image: debootstrap once, then only podman's store. */
function ensureDebian(step) {
  if (podmanImageExists(DEBIAN_IMAGE)) return
  step(`debootstrap --variant=minbase ${DEBIAN_SUITE} from ${DEBIAN_MIRROR} (once; about 3 minutes)`)
  mkdirSync(CACHE, { recursive: true })
  const rootfs = mkdtempSync(path.join(CACHE, 'rootfs-'))
  try {
    run('debootstrap', ['--variant=minbase', DEBIAN_SUITE, rootfs, DEBIAN_MIRROR])
    // What the -slim images leave out too: the downloaded packages and the package lists.
    for (const dir of ['var/cache/apt/archives', 'var/lib/apt/lists']) {
      run('find', [path.join(rootfs, dir), '-type', 'f', '-delete'])
    }
    const tar = spawnSync('tar', ['-C', rootfs, '-c', '.'], { maxBuffer: 1024 * 1024 * 1024 })
    if (tar.status !== 0) throw new Error(`tar of ${rootfs} failed: ${tar.stderr}`)
    podman(['import', '-', DEBIAN_IMAGE], { input: tar.stdout })
  } finally {
    rmSync(rootfs, { recursive: true, force: true })
  }
}

/** The stand-in for node:24-slim; returns its name. */
function ensureBase(step) {
  const nodeBin = path.join(run(path.join(ROOT, 'scripts/ci/node.sh'), ['24', '--path']).trim(), 'node')
  const nodeVersion = run(nodeBin, ['--version']).trim().slice(1)
  const extraCa = process.env.NODE_EXTRA_CA_CERTS
  const image = `localhost/psitransfer-ci-node:${nodeVersion}-${DEBIAN_SUITE}-r${BASE_RECIPE}${extraCa ? '-ca' : ''}`
  if (podmanImageExists(image)) return image
  ensureDebian(step)
  step(`base image ${image}`)
  const ctx = mkdtempSync(path.join(tmpdir(), 'psi-image-base-'))
  try {
    copyFileSync(nodeBin, path.join(ctx, 'node'))
    run('npm', ['pack', `npm@${NPM_VERSION}`, '--pack-destination', ctx, '--loglevel=error'])
    mkdirSync(path.join(ctx, 'npm'))
    run('tar', [
      '-xzf',
      path.join(ctx, `npm-${NPM_VERSION}.tgz`),
      '-C',
      path.join(ctx, 'npm'),
      '--strip-components=1',
    ])
    if (extraCa) copyFileSync(extraCa, path.join(ctx, 'extra-ca.crt'))
    // Laid out like the official image: node, npm and npx in /usr/local/bin, user node 1000:1000.
    const containerfile = [
      `FROM ${DEBIAN_IMAGE}`,
      'COPY node /usr/local/bin/node',
      'COPY npm /usr/local/lib/node_modules/npm',
      ...(extraCa
        ? [
            'COPY extra-ca.crt /usr/local/share/psitransfer-ci/extra-ca.crt',
            'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/psitransfer-ci/extra-ca.crt',
          ]
        : []),
      'RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\',
      ' && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\',
      ' && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \\',
      ` && test "$(node --version)" = v${nodeVersion} && test "$(npm --version)" = ${NPM_VERSION}`,
      'CMD ["node"]',
      '',
    ].join('\n')
    writeFileSync(path.join(ctx, 'Containerfile'), containerfile)
    podman(['build', '--format=docker', '--pull=never', '--network=host', ...ulimitArgs(), '-t', image, ctx])
  } finally {
    rmSync(ctx, { recursive: true, force: true })
  }
  return image
}

const PROXY_VARS = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy']

// Outside the test's temp directory, so that it outlives a failed run.
const BUILD_LOG = path.join(tmpdir(), 'psi-image-build.log')

/** Builds the repository's Dockerfile into IMAGE (replacing the previous build) and returns IMAGE. */
export function buildImage(step) {
  const base = ensureBase(step)
  const previous = podman(['image', 'inspect', '--format={{.Id}}', IMAGE], { allowFail: true }).stdout.trim()
  const store = path.join(CACHE, 'image-build/pnpm-store')
  const npmCache = path.join(CACHE, 'image-build/npm-cache')
  mkdirSync(store, { recursive: true })
  mkdirSync(npmCache, { recursive: true })
  step(`podman build (FROM ${base}; log ${BUILD_LOG})`)
  const log = openSync(BUILD_LOG, 'w')
  const build = podman(
    [
      'build',
      '--format=docker',
      '--pull=never',
      '--network=host',
      // No intermediate images: the sources differ on every CI run, so they would only fill the disk.
      '--layers=false',
      ...ulimitArgs(),
      '--build-arg',
      `NODE_IMAGE=${base}`,
      ...PROXY_VARS.filter((v) => process.env[v]).flatMap((v) => ['--build-arg', `${v}=${process.env[v]}`]),
      '-v',
      `${store}:/root/.local/share/pnpm/store`,
      '-v',
      `${npmCache}:/root/.npm`,
      '-t',
      IMAGE,
      ROOT,
    ],
    { allowFail: true, stdio: ['ignore', log, log] },
  )
  closeSync(log)
  if (build.status !== 0) {
    const end = readFileSync(BUILD_LOG, 'utf8').trimEnd().split('\n').slice(-40).join('\n')
    throw new Error(`podman build failed (${build.status}); the end of ${BUILD_LOG}:\n${end}`)
  }
  if (previous && podman(['image', 'inspect', '--format={{.Id}}', IMAGE]).stdout.trim() !== previous) {
    // The previous build is untagged now; a container still using it keeps it (allowFail).
    podman(['rmi', previous], { allowFail: true })
  }
  return IMAGE
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const started = Date.now()
  const step = (msg) =>
    process.stderr.write(`image-smoke: ${msg} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`)
  const why = imageTestUnavailable(step)
  if (why) {
    process.stderr.write(`image-smoke: cannot build the image here: ${why}\n`)
    process.exit(1)
  }
  buildImage(step)
  step('built')
  process.stdout.write(`${IMAGE}\n`)
}
