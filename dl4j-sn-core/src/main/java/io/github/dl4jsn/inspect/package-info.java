/** Inspection of spectral normalization: exact singular values for checking the estimates. */
package io.github.dl4jsn.inspect;
