/**
 * The test-harness Jupyter kernel: JShell (local execution) on JJava's kernel library, with the
 * {@code %classpath}, {@code %jars} and {@code %maven} line magics.
 */
package io.github.dl4jsn.notebooks.kernel;
