// Runs before `pnpm test`: checks what the tests need outside npm and says
// how to get it, instead of letting a suite fail somewhere obscure.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';

const problems = [];

function reachable(host, port) {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

const pg = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
if (!(await reachable(pg.hostname, Number(pg.port || 5432)))) {
  problems.push(
    `PostgreSQL is not reachable at ${pg.hostname}:${pg.port || 5432}. Start it (docker compose up -d postgres, or your own) or set TEST_DATABASE_URL.`,
  );
}
const amqp = new URL(process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
if (!(await reachable(amqp.hostname, Number(amqp.port || 5672)))) {
  problems.push(
    `RabbitMQ is not reachable at ${amqp.hostname}:${amqp.port || 5672}. Start it (docker compose up -d rabbitmq, or your own) or set TEST_AMQP_URL.`,
  );
}

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  const isRoot = process.getuid?.() === 0;
  if (isRoot && existsSync('/usr/bin/apt-get')) {
    console.log('Installing Debian chromium for the browser tests …');
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit' });
  } else {
    problems.push(
      `No Chromium at ${chromium}. Install it (Debian/Ubuntu: apt-get install chromium) or set CHROMIUM_PATH.`,
    );
  }
}

// The terminal client's end-to-end tests drive its chat screen in real pseudo-terminals.
const hasTmux = (() => {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    // Not installed, or not runnable: either way the tests cannot use it.
    return false;
  }
})();
if (!hasTmux) {
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.log('Installing tmux for the terminal client tests …');
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', 'tmux'], { stdio: 'inherit' });
  } else {
    problems.push(
      'No tmux (the terminal client tests need it). Install it (Debian/Ubuntu: apt-get install tmux).',
    );
  }
}

if (problems.length > 0) {
  console.error(`The tests need a few things first:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
