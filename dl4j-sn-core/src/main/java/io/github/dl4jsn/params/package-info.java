/** Parameter layout of spectrally normalized layers: the inner parameters, then u and v. */
package io.github.dl4jsn.params;
