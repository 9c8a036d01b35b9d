/** The allocation-free maths of spectral normalization: power iteration, sigma, gradient. */
package io.github.dl4jsn.math;
