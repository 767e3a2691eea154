# Fits the simulated series of tests/test_its_models.py in R, for comparison with safetylens.
# NOT RUN when the tests were written (R was not installed): the tests compare safetylens with
# independent numpy/scipy computations instead. Run from this folder: Rscript simulated_r_check.R
# Expected agreement with `safetylens its`: 4 significant figures (arima: 2%).
library(MASS)      # glm.nb
library(sandwich)  # NeweyWest
library(nlme)      # gls (safetylens' default arima_method = "reml")

counts <- read.csv("simulated_counts.csv")
cont <- read.csv("simulated_continuous.csv")
n <- nrow(counts)
time <- 0:(n - 1)
level_change <- as.numeric(time >= 30)
slope_change <- ifelse(time >= 30, time - 30, 0)

show <- function(label, est, se) {
  cat(label, "\n"); print(signif(cbind(estimate = est, se = se), 6))
}

m <- glm(count ~ time + level_change + slope_change + offset(log(bed_days)),
         family = poisson, data = counts)
show("poisson", coef(m), sqrt(diag(vcov(m))))
m <- glm(count ~ time + level_change + slope_change + offset(log(bed_days)),
         family = quasipoisson, data = counts)
show("quasipoisson", coef(m), sqrt(diag(vcov(m))))
m <- glm.nb(count ~ time + level_change + slope_change + offset(log(bed_days)), data = counts)
show("negbin", coef(m), sqrt(diag(vcov(m)))); cat("theta", m$theta, "\n")

m <- lm(value ~ time + level_change + slope_change, data = cont)
for (lag in c(1, 3)) {
  v <- NeweyWest(m, lag = lag, prewhite = FALSE, adjust = TRUE)
  show(paste("ols newey-west lag", lag), coef(m), sqrt(diag(v)))
}
m <- arima(cont$value, order = c(1, 0, 0), include.mean = FALSE,
           xreg = cbind(intercept = 1, time, level_change, slope_change))
show("arima (safetylens --arima-method ml)", coef(m), sqrt(diag(m$var.coef)))
m <- gls(value ~ time + level_change + slope_change, data = cbind(cont, time, level_change,
         slope_change), correlation = corAR1(form = ~ time), method = "REML")
show("gls REML AR(1) (safetylens default arima)", coef(m), sqrt(diag(vcov(m))))
cat("phi", coef(m$modelStruct$corStruct, unconstrained = FALSE), "\n")
