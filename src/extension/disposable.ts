/**
 * A small Disposable base class for the extension's components (no `vscode` import, so pure modules and
 * the worker side can use it too). VS Code's `Disposable` objects, listeners' return values and plain
 * functions all fit {@link DisposableLike}.
 */

/** Anything with a `dispose()` method (VS Code's `Disposable`, event subscriptions, our components). */
export interface DisposableLike {
  dispose(): unknown;
}

/**
 * Base class that owns child disposables and disposes them in reverse order of registration, once.
 * Subclasses register every listener, timer and child with {@link Disposable.register} /
 * {@link Disposable.onDispose}, so nothing outlives the component.
 */
export class Disposable implements DisposableLike {
  private readonly children: DisposableLike[] = [];
  private disposedFlag = false;

  /** True once {@link dispose} ran. */
  get disposed(): boolean {
    return this.disposedFlag;
  }

  /**
   * Registers a child to dispose with this object. If this object is already disposed, the child is
   * disposed at once.
   * @returns the child, for chaining (`this.item = this.register(window.createStatusBarItem(...))`).
   */
  protected register<T extends DisposableLike>(child: T): T {
    if (this.disposedFlag) void child.dispose();
    else this.children.push(child);
    return child;
  }

  /** Registers a cleanup function (e.g. `clearInterval`) to run on dispose. */
  protected onDispose(fn: () => unknown): void {
    this.register({ dispose: fn });
  }

  /**
   * Disposes the children, last registered first. A child that throws does not stop the others; the
   * first error is rethrown after all ran.
   */
  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    let first: unknown;
    for (const c of this.children.splice(0).reverse()) {
      try {
        void c.dispose();
      } catch (e) {
        first ??= e;
      }
    }
    if (first !== undefined) throw first;
  }
}
