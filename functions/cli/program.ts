/**
 * The `tollgate` command line: builds the commander program over injectable I/O and runs it,
 * mapping every failure to a message on stderr and an exit code (0 ok, 1 failed, 2 bad usage).
 */
import { Command, CommanderError } from 'commander';
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './cli-error.js';
import type { CliIo } from './cli-io.js';
import { registerAdminCommands } from './commands/admin-commands.js';
import { registerAlertCommands } from './commands/alert-commands.js';
import { registerCreditCommands } from './commands/credit-commands.js';
import { registerDlqCommands } from './commands/dlq-commands.js';
import { registerBillingCommands, registerInvoiceCommands } from './commands/invoice-commands.js';
import { registerKeyCommands } from './commands/key-commands.js';
import { registerQuarantineCommands } from './commands/quarantine-commands.js';
import { registerReadCommands } from './commands/read-commands.js';
import { registerSendCommand } from './commands/send-command.js';
import { registerStatusCommand } from './commands/status-command.js';

export function buildProgram(io: CliIo): Command {
  const program = new Command('tollgate')
    .description(
      'Tollgate: send usage events, read usage and entitlements, manage tenants, keys and the catalog, invoices and credits',
    )
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    // A command's flags stop at its subcommand, so `quarantine --limit` and
    // `quarantine redrive --limit` are each their own.
    .enablePositionalOptions()
    .exitOverride();
  registerStatusCommand(program, io);
  registerSendCommand(program, io);
  registerReadCommands(program, io);
  registerQuarantineCommands(program, io);
  registerAdminCommands(program, io);
  registerKeyCommands(program, io);
  registerDlqCommands(program, io);
  registerInvoiceCommands(program, io);
  registerCreditCommands(program, io);
  registerBillingCommands(program, io);
  registerAlertCommands(program, io);
  // Subcommands inherit output and exit behaviour only when configured after they exist.
  const configure = (command: Command) => {
    command.configureOutput({ writeOut: io.stdout, writeErr: io.stderr }).exitOverride();
    command.showHelpAfterError('(run with --help for usage)');
    for (const child of command.commands) configure(child);
  };
  configure(program);
  return program;
}

/** Runs the CLI on `argv` (without node and the script) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander printed its message (it names the flag or argument).
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.help' ||
        error.code === 'commander.version'
      ) {
        return EXIT_OK;
      }
      return error.code === 'commander.executeSubCommandAsync' ? EXIT_FAILURE : EXIT_USAGE;
    }
    if (error instanceof CliError) {
      if (error.message !== '') io.stderr(`error: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_FAILURE;
  } finally {
    io.close();
  }
}
