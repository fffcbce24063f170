// Package model is the shared contract of Regime's in-house models: the
// Classifier interface, the Dataset a model is trained on, the missing-value
// policy, calibration of probabilities, the walk-forward schedule with
// purging and embargo, and the provenance (Meta) and deterministic JSON
// persistence every model uses so that any past call can be reproduced.
//
// The model kinds live in subpackages: model/logistic (L2-regularised
// logistic and softmax regression), model/gbt (histogram gradient-boosted
// trees) and model/hmm (Gaussian hidden Markov model, filtered
// probabilities only). The package is pure compute: no I/O besides the
// io.Reader/io.Writer given to Encode and Decode.
//
// # Missing values
//
// Missing values are NaN, never 0. Each kind handles them in one documented
// way:
//
//   - logistic: an Imputer fitted on the training rows replaces NaN with the
//     training median of the column and appends a 0/1 missing indicator for
//     every column that had at least one NaN in training. A column that was
//     never missing in training gets no indicator; a NaN there at
//     prediction time is imputed with the median only.
//   - gbt: native. NaN goes to its own histogram bin and every split learns
//     the direction (left or right) that missing values take. A split whose
//     node saw no missing value in training sends missing values to the
//     child with more training rows.
//   - hmm: marginalised. With diagonal covariance a missing feature simply
//     drops out of the emission density; a row that is entirely missing is a
//     pure prediction step of the filter.
//
// # Time order
//
// Every Fit assumes rows in time order (oldest first). Calibration holds out
// the newest rows of the training window, never later data, and WalkForward
// builds folds in which no training label's horizon reaches the test block.
package model
