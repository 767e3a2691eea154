# Reference numbers for tests/test_its_models.py, made with R (see arima_ml_reference.txt for
# the version). Not run by the tests: run from this folder with
#   Rscript arima_ml_reference.R > arima_ml_reference.txt
# It reads the series made by make_arima_series.py and writes
#   arima_ml_reference.csv : arima(method = "ML") per series (estimates, SEs, log-likelihood)
#   binomial_reference.csv : glm binomial and quasibinomial on share_series.csv
sessionInfo()
options(digits = 12)

series <- read.csv("arima_series.csv")
out <- list()
for (id in unique(series$series)) {
  s <- series[series$series == id, ]
  n_pre <- s$n_pre[1]
  time <- s$t
  level_change <- as.numeric(time >= n_pre)
  slope_change <- ifelse(time >= n_pre, time - n_pre, 0)
  xreg <- cbind(time = time, level_change = level_change, slope_change = slope_change)
  fit <- arima(s$y, order = c(s$ar[1], 0, 0), xreg = xreg, method = "ML",
               optim.control = list(maxit = 2000, reltol = 1e-12))
  se <- sqrt(diag(fit$var.coef))
  out[[length(out) + 1]] <- data.frame(series = id, term = names(coef(fit)),
                                       estimate = unname(coef(fit)), se = unname(se),
                                       loglik = fit$loglik, sigma2 = fit$sigma2)
}
ref <- do.call(rbind, out)
write.csv(ref, "arima_ml_reference.csv", row.names = FALSE)
cat("arima fits:", length(out), "\n")

shares <- read.csv("share_series.csv")
t <- 0:(nrow(shares) - 1)
level_change <- as.numeric(t >= 24)
slope_change <- ifelse(t >= 24, t - 24, 0)
rows <- list()
for (family in c("binomial", "quasibinomial")) {
  fit <- glm(cbind(linked, total - linked) ~ t + level_change + slope_change,
             family = get(family), data = shares, control = glm.control(epsilon = 1e-12))
  sm <- summary(fit)$coefficients
  rows[[family]] <- data.frame(model = family, term = rownames(sm), estimate = sm[, 1],
                               se = sm[, 2], p_value = sm[, 4],
                               dispersion = summary(fit)$dispersion)
}
write.csv(do.call(rbind, rows), "binomial_reference.csv", row.names = FALSE)
print(do.call(rbind, rows))
