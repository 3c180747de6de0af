import type { HttpResponse } from '../net/network.js';

/**
 * A change an active hunter made to a target (an object created, a key written) and whether it was undone.
 * Active hunting journals each change before making it; the report lists every one.
 */
export interface Change {
  id: string;
  /** The hunter that made it. */
  hunter: string;
  /** The identity that was able to make it (a Credential name, `anonymous`, `insecure-port`, …). */
  identity?: string;
  /** What was done, in a few words: `create clusterrole kubeferret-3f9a`, `put etcd key /kubeferret/3f9a`. */
  action: string;
  /** Where: the URL or key concerned. */
  target: string;
  time: string;
  /** How it is undone, in a few words: `delete clusterrole kubeferret-3f9a`. */
  undo: string;
  undone: boolean;
  /** Why undoing failed, one line, when it did. */
  undoError?: string;
}

/**
 * One request that changes state (or undoes a change), as data: the framework sends it, journals it, or in
 * a dry run only records it. It never carries credentials: the framework adds those of the identity.
 */
export interface ChangeRequest {
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  /** The body, as sent (JSON text); never a secret. */
  body?: string;
  contentType?: string;
}

/** How a change is undone: the request, in a few words, and which answers mean "already gone". */
export interface UndoRequest extends ChangeRequest {
  /** `delete namespace kubeferret-3f9a…` */
  description: string;
  /** Statuses besides 2xx that mean there is nothing left to undo; default [404]. */
  goneStatuses?: number[];
  /**
   * For an object whose deletion takes a while (a namespace stays Terminating while it is emptied): the URL
   * whose GET answers 404 once it is gone. The undo counts only then; an answer of 409 to the delete (already
   * being deleted) is waited for the same way.
   */
  confirmGone?: string;
}

/**
 * Who sends a change. Only names go into the journal: the secret is looked up by the framework, from the
 * run's Credential events (or, for `kubeferret cleanup`, from the identity flags).
 */
export interface ChangeIdentity {
  /** Display name: `anonymous`, `insecure-port`, `kubelet-anonymous`, or a Credential's name. */
  name: string;
  /** The Credential whose secret authenticates the requests; absent when none is sent. */
  credential?: string;
}

/** What an active hunter asks the framework to do. */
export interface ChangeSpec {
  /** `create namespace kubeferret-3f9a…`, `run id in kube-system/etcd/etcd`. */
  action: string;
  /** The URL or key concerned. */
  target: string;
  identity: ChangeIdentity;
  apply: ChangeRequest;
  /**
   * How to undo it. `null` for an action that leaves nothing behind (a command that only prints): it is
   * neither journalled nor listed as a change, but a dry run still only plans it.
   */
  undo: UndoRequest | null;
  /**
   * A change to an object another change created (a patch of it): undoing that one undoes this one too,
   * so its own undo is only sent when the object could not be removed.
   */
  partOf?: ChangeOutcome;
}

/** The outcome of undoing one change. */
export interface UndoOutcome {
  /**
   * `undone`: the undo was answered 2xx (and, with `confirmGone`, the object is gone); `gone`: nothing was
   * left (404); `terminating`: the deletion was accepted but the object was still there at the deadline;
   * `planned`: dry run.
   */
  state: 'undone' | 'gone' | 'terminating' | 'failed' | 'planned' | 'none';
  response?: HttpResponse;
  error?: string;
}

/** What `ctx.change` returns. */
export interface ChangeOutcome {
  /**
   * `applied`: sent and answered 2xx; `refused`: answered otherwise, so nothing changed; `planned`: a dry
   * run, nothing was sent (the hunter goes on as if it had been applied, to plan the next steps).
   */
  state: 'applied' | 'refused' | 'planned';
  response?: HttpResponse;
  /** Undoes the change now rather than when the hunter ends; later calls return the first outcome. */
  undo(): Promise<UndoOutcome>;
}

/** A request a dry run would have sent. */
export interface PlannedRequest {
  hunter: string;
  identity: string;
  action: string;
  request: ChangeRequest;
  undo?: UndoRequest;
}

/** The changes of one hunter run: everything still in place is undone when it closes. */
export interface ChangeSession {
  change(spec: ChangeSpec): Promise<ChangeOutcome>;
  close(): Promise<void>;
}

/** Journals, makes (or plans) and undoes the changes of a run; the engine opens a session per active hunter run. */
export interface ChangeRecorder {
  readonly runId: string;
  open(hunter: string, signal: AbortSignal): ChangeSession;
}
