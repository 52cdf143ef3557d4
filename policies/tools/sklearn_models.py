"""Fitted scikit-learn estimators people ship, on small fixed data: shared by
policies/tools/gen_sklearn_entries.py (the pack's names) and corpus/realworld/gen_sklearn.py (fixtures)."""
import numpy as np


def data():
    rng = np.random.RandomState(0)
    X = np.round(rng.normal(size=(40, 3)), 3)
    y_cls = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    y_multi = np.array([0, 1, 2, 1] * 10)
    y_reg = np.round(X @ np.array([1.5, -2.0, 0.5]) + 0.25, 6)
    return X, y_cls, y_multi, y_reg


def models():
    """[(name, fitted estimator)], deterministic (every random_state fixed)."""
    from sklearn import cluster, compose, decomposition, ensemble, impute, linear_model, naive_bayes
    from sklearn import neighbors, pipeline, preprocessing, svm, tree
    X, y_cls, y_multi, y_reg = data()
    cats = np.array([['a', 'x'], ['b', 'y'], ['a', 'y'], ['c', 'x']] * 10, dtype=object)
    out = [
        ('linear_regression', linear_model.LinearRegression().fit(X, y_reg)),
        ('logistic_regression', linear_model.LogisticRegression().fit(X, y_multi)),
        ('ridge', linear_model.Ridge(alpha=0.5).fit(X, y_reg)),
        ('lasso', linear_model.Lasso(alpha=0.1).fit(X, y_reg)),
        ('elastic_net', linear_model.ElasticNet(alpha=0.1).fit(X, y_reg)),
        ('sgd_classifier', linear_model.SGDClassifier(random_state=0, max_iter=20, tol=None).fit(X, y_cls)),
        ('svc', svm.SVC(random_state=0).fit(X, y_multi)),
        ('svr', svm.SVR().fit(X, y_reg)),
        ('linear_svc', svm.LinearSVC(random_state=0, max_iter=2000).fit(X, y_cls)),
        ('decision_tree_classifier', tree.DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y_multi)),
        ('decision_tree_regressor', tree.DecisionTreeRegressor(max_depth=3, random_state=0).fit(X, y_reg)),
        ('random_forest', ensemble.RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(X, y_cls)),
        ('extra_trees', ensemble.ExtraTreesRegressor(n_estimators=2, max_depth=2, random_state=0).fit(X, y_reg)),
        ('gradient_boosting_classifier', ensemble.GradientBoostingClassifier(n_estimators=3, max_depth=2, random_state=0).fit(X, y_cls)),
        ('gradient_boosting_regressor', ensemble.GradientBoostingRegressor(n_estimators=3, max_depth=2, random_state=0).fit(X, y_reg)),
        ('hist_gradient_boosting', ensemble.HistGradientBoostingClassifier(max_iter=3, random_state=0).fit(X, y_cls)),
        ('hist_gradient_boosting_regressor', ensemble.HistGradientBoostingRegressor(max_iter=3, random_state=0).fit(X, y_reg)),
        ('adaboost', ensemble.AdaBoostClassifier(n_estimators=3, random_state=0).fit(X, y_cls)),
        ('kmeans', cluster.KMeans(n_clusters=3, n_init=2, random_state=0).fit(X)),
        ('knn_kd_tree', neighbors.KNeighborsClassifier(n_neighbors=3, algorithm='kd_tree').fit(X, y_multi)),
        ('knn_ball_tree', neighbors.KNeighborsRegressor(n_neighbors=3, algorithm='ball_tree').fit(X, y_reg)),
        ('kd_tree', neighbors.KDTree(X, leaf_size=5)),
        ('ball_tree', neighbors.BallTree(X, leaf_size=5)),
        ('standard_scaler', preprocessing.StandardScaler().fit(X)),
        ('min_max_scaler', preprocessing.MinMaxScaler().fit(X)),
        ('robust_scaler', preprocessing.RobustScaler().fit(X)),
        ('one_hot_encoder', preprocessing.OneHotEncoder(handle_unknown='ignore').fit(cats)),
        ('ordinal_encoder', preprocessing.OrdinalEncoder().fit(cats)),
        ('label_encoder', preprocessing.LabelEncoder().fit(['b', 'a', 'c', 'a'])),
        ('polynomial_features', preprocessing.PolynomialFeatures(degree=2).fit(X)),
        ('simple_imputer', impute.SimpleImputer().fit(X)),
        ('pca', decomposition.PCA(n_components=2, random_state=0).fit(X)),
        ('gaussian_nb', naive_bayes.GaussianNB().fit(X, y_multi)),
        ('pipeline', pipeline.Pipeline([('scale', preprocessing.StandardScaler()), ('clf', linear_model.LogisticRegression())]).fit(X, y_cls)),
        ('column_transformer', compose.ColumnTransformer([
            ('num', preprocessing.StandardScaler(), [0, 1]),
            ('cat', preprocessing.OneHotEncoder(), [2]),
        ]).fit(np.concatenate([X[:, :2], (X[:, 2:] > 0).astype(np.float64)], axis=1))),
    ]
    return out
