/** Layer configurations: the {@link io.github.dl4jsn.conf.SpectralNormalization} wrapper. */
package io.github.dl4jsn.conf;
