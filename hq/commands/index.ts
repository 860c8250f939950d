import type { Command } from 'commander';
import { register as serve } from './serve';
import { register as keygen } from './keygen';
import { register as configPush } from './config-push';
import { register as cmd } from './cmd';
import { register as ingest } from './ingest';
import { register as watch } from './watch';
import { register as pricebookPush } from './pricebook-push';
import { register as brokerAcl } from './broker-acl';
import { register as ca } from './ca';
import { register as quarantine } from './quarantine';
import { register as user } from './user';
import { register as orders } from './orders';
import { register as channels } from './channels';
import { register as reconcile } from './reconcile';
import { register as refund } from './refund';
import { register as fleetTag } from '../fleet/tag-cli';
import { register as members } from '../members/cli';
import { register as recall } from '../recalls/cli';
import { register as release } from './release';

/** A command adds itself (and its subcommands) to the `hq` program. */
export type RegisterCommand = (program: Command) => void;

/** Every `hq` command, in help order. Add one line per command file. */
export const COMMANDS: RegisterCommand[] = [
  keygen,
  configPush,
  cmd,
  ingest,
  watch,
  pricebookPush,
  brokerAcl,
  ca,
  quarantine,
  user,
  orders,
  channels,
  reconcile,
  refund,
  fleetTag,
  members,
  recall,
  release,
  serve,
];
