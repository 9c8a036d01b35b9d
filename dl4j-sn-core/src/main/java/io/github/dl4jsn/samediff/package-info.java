/** Spectral normalization as SameDiff operations and layers; a listener keeps the vectors. */
package io.github.dl4jsn.samediff;
