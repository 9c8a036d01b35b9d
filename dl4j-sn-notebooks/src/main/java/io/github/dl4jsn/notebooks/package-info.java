/** Helpers for notebook cells: inline display of images and charts in any Jupyter Java kernel. */
package io.github.dl4jsn.notebooks;
