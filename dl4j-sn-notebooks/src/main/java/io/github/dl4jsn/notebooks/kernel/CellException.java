package io.github.dl4jsn.notebooks.kernel;

/** A cell that did not compile or threw: the message says which, and where. */
public final class CellException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** A failure with the cell's own exception as the cause, when there is one. */
  public CellException(String message, Throwable cause) {
    super(message, cause);
  }

  /** A failure without a cause, e.g. a compilation error. */
  public CellException(String message) {
    super(message);
  }
}
