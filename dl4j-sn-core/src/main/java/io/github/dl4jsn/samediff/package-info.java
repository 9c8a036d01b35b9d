/** Spectral normalization as SameDiff operations, with the power-iteration state kept by a listener. */
package io.github.dl4jsn.samediff;
